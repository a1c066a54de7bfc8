package goldenpath.guardrails_test

import rego.v1

import data.goldenpath.guardrails

closed := {
	"BlockPublicAcls": true,
	"BlockPublicPolicy": true,
	"IgnorePublicAcls": true,
	"RestrictPublicBuckets": true,
}

encryption := {"ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}

# Tests replace input.template (and input.unit), never the whole input: see docs/guardrails.md.
bucket(properties) := {"Resources": {"Bucket": {"Type": "AWS::S3::Bucket", "Properties": properties}}}

rules(results) := {r.rule | some r in results}

test_an_encrypted_private_versioned_bucket_passes if {
	doc := bucket({"BucketEncryption": encryption, "PublicAccessBlockConfiguration": closed, "VersioningConfiguration": {"Status": "Enabled"}})
	count(guardrails.deny) == 0 with input.template as doc
	count(guardrails.warn) == 0 with input.template as doc
}

test_an_unencrypted_bucket_is_denied if {
	doc := bucket({"PublicAccessBlockConfiguration": closed})
	rules(guardrails.deny) == {"s3_encrypted"} with input.template as doc
}

test_a_bucket_that_may_be_public_is_denied if {
	doc := bucket({"BucketEncryption": encryption, "PublicAccessBlockConfiguration": object.union(closed, {"BlockPublicPolicy": false})})
	some result in guardrails.deny with input.template as doc
	result.rule == "s3_public_access_blocked"
	result.resource == "Bucket"
}

test_a_bucket_without_a_public_access_block_is_denied if {
	doc := bucket({"BucketEncryption": encryption})
	rules(guardrails.deny) == {"s3_public_access_blocked"} with input.template as doc
}

test_a_production_bucket_without_versioning_is_only_warned_about if {
	doc := bucket({"BucketEncryption": encryption, "PublicAccessBlockConfiguration": closed})
	count(guardrails.deny) == 0 with input.template as doc with input.unit as {"kind": "service", "environment": "production"}
	rules(guardrails.warn) == {"s3_versioning"} with input.template as doc with input.unit as {"kind": "service", "environment": "production"}
}

test_a_test_bucket_needs_no_versioning if {
	doc := bucket({"BucketEncryption": encryption, "PublicAccessBlockConfiguration": closed})
	count(guardrails.warn) == 0 with input.template as doc with input.unit as {"kind": "service", "environment": "test"}
}

test_a_pipeline_artifact_bucket_needs_no_versioning if {
	doc := bucket({"BucketEncryption": encryption, "PublicAccessBlockConfiguration": closed})
	count(guardrails.warn) == 0 with input.template as doc with input.unit as {"kind": "pipeline"}
}
