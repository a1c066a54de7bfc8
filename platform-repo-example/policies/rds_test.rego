package goldenpath.guardrails_test

import rego.v1

import data.goldenpath.guardrails

database(properties) := {"Resources": {"Database": {"Type": "AWS::RDS::DBInstance", "Properties": properties}}}

test_an_encrypted_protected_production_database_passes if {
	doc := database({"StorageEncrypted": true, "DeletionProtection": true})
	count(guardrails.deny) == 0 with input.template as doc with input.unit as {"environment": "production"}
}

test_unencrypted_storage_is_denied_everywhere if {
	doc := database({"StorageEncrypted": false})
	rules(guardrails.deny) == {"rds_storage_encrypted"} with input.template as doc with input.unit as {"environment": "test"}
}

test_storage_that_does_not_say_is_denied if {
	doc := database({})
	rules(guardrails.deny) == {"rds_storage_encrypted"} with input.template as doc with input.unit as {"environment": "test"}
}

test_production_needs_deletion_protection if {
	doc := database({"StorageEncrypted": true, "DeletionProtection": false})
	rules(guardrails.deny) == {"rds_deletion_protection"} with input.template as doc with input.unit as {"environment": "production"}
}

test_test_environments_may_delete_databases if {
	doc := database({"StorageEncrypted": true})
	count(guardrails.deny) == 0 with input.template as doc with input.unit as {"environment": "test"}
}

test_the_production_environments_come_from_data if {
	doc := database({"StorageEncrypted": true})
	rules(guardrails.deny) == {"rds_deletion_protection"} with input.template as doc with input.unit as {"environment": "staging"}
		with data.guardrails.production_environments as ["staging"]
}
