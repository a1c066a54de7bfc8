# RDS: storage is encrypted everywhere; in production a database cannot be deleted by a
# stack operation (DeletionProtection).
package goldenpath.guardrails

import rego.v1

databases contains [name, db] if {
	some name, db in input.template.Resources
	db.Type in {"AWS::RDS::DBInstance", "AWS::RDS::DBCluster"}
}

deny contains {"rule": "rds_storage_encrypted", "resource": name, "message": msg} if {
	some [name, db] in databases
	# An instance of an Aurora cluster takes its storage from the cluster.
	not db.Properties.DBClusterIdentifier
	db.Properties.StorageEncrypted != true
	msg := "the database storage is not encrypted: set StorageEncrypted: true"
}

deny contains {"rule": "rds_storage_encrypted", "resource": name, "message": msg} if {
	some [name, db] in databases
	not db.Properties.DBClusterIdentifier
	not "StorageEncrypted" in object.keys(db.Properties)
	msg := "the database storage is not encrypted: set StorageEncrypted: true"
}

deny contains {"rule": "rds_deletion_protection", "resource": name, "message": msg} if {
	input.unit.environment in data.guardrails.production_environments
	some [name, db] in databases
	not db.Properties.DBClusterIdentifier
	object.get(db, ["Properties", "DeletionProtection"], false) != true
	msg := sprintf("a database in %s must have DeletionProtection: true", [input.unit.environment])
}
