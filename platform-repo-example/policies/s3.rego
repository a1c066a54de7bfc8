# S3: every bucket is encrypted at rest and can never be made public. A production bucket
# of a service without versioning gets a warning: an overwritten or deleted object cannot
# be brought back. (Pipelines' artifact buckets hold nothing that cannot be built again.)
package goldenpath.guardrails

import rego.v1

buckets contains [name, bucket] if {
	some name, bucket in input.template.Resources
	bucket.Type == "AWS::S3::Bucket"
}

deny contains {"rule": "s3_encrypted", "resource": name, "message": msg} if {
	some [name, bucket] in buckets
	not encrypted(bucket)
	msg := "the bucket is not encrypted: set BucketEncryption (SSE-S3 or SSE-KMS)"
}

encrypted(bucket) if {
	some rule in bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration
	rule.ServerSideEncryptionByDefault.SSEAlgorithm
}

public_access_settings := ["BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"]

deny contains {"rule": "s3_public_access_blocked", "resource": name, "message": msg} if {
	some [name, bucket] in buckets
	some setting in public_access_settings
	object.get(bucket, ["Properties", "PublicAccessBlockConfiguration", setting], false) != true
	msg := "public access is not blocked: set BlockPublicAcls, BlockPublicPolicy, IgnorePublicAcls and RestrictPublicBuckets of PublicAccessBlockConfiguration to true"
}

warn contains {"rule": "s3_versioning", "resource": name, "message": msg} if {
	input.unit.kind == "service"
	input.unit.environment in data.guardrails.production_environments
	some [name, bucket] in buckets
	object.get(bucket, ["Properties", "VersioningConfiguration", "Status"], "Suspended") != "Enabled"
	msg := "versioning is off: an overwritten or deleted object cannot be recovered"
}
