"""A small platform with an S3 bucket template and the example's real policy set.

The bucket template renders a real bucket whose encryption and public-access block
follow the instance's inputs, so a spec can ask for the bucket a policy must deny.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.support.platform_repo import (
    MANIFEST,
    PlatformRepo,
    small_platform,
    write_service,
)

EXAMPLE_POLICIES = Path(__file__).resolve().parents[2] / "platform-repo-example" / "policies"

BUCKET_SCHEMA = """
schema:
  format: {openapi: "3.0.0"}
  service_input_type: BucketInput
  types:
    BucketInput:
      type: object
      properties:
        encrypted: {type: boolean, default: true}
        public: {type: boolean, default: false}
        versioning: {type: boolean, default: true}
"""

BUCKET_TEMPLATE = """
AWSTemplateFormatVersion: '2010-09-09'
Description: {{ service.name }} in {{ environment.name }}
{%- set inputs = service_instance.inputs %}
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
{%- if inputs.encrypted %}
      BucketEncryption:
        ServerSideEncryptionConfiguration:
          - ServerSideEncryptionByDefault:
              SSEAlgorithm: AES256
{%- endif %}
      PublicAccessBlockConfiguration:
        BlockPublicAcls: {{ 'false' if inputs.public else 'true' }}
        BlockPublicPolicy: {{ 'false' if inputs.public else 'true' }}
        IgnorePublicAcls: {{ 'false' if inputs.public else 'true' }}
        RestrictPublicBuckets: {{ 'false' if inputs.public else 'true' }}
      VersioningConfiguration:
        Status: {{ 'Enabled' if inputs.versioning else 'Suspended' }}
      Tags:
        - Key: vpc
          Value: '{{ environment.outputs.VpcId }}'
Outputs:
  BucketName:
    Value: !Ref Bucket
"""


def write_bucket_template(repo: PlatformRepo) -> None:
    root = "templates/bucket/v1"
    repo.write(f"{root}/schema/schema.yaml", BUCKET_SCHEMA)
    repo.write(f"{root}/instance_infrastructure/manifest.yaml", MANIFEST)
    repo.write(f"{root}/instance_infrastructure/cloudformation.yaml", BUCKET_TEMPLATE)
    repo.write(f"{root}/.template-registration.yaml", "compatible_environments: ['env:1']\n")


def write_bucket(repo: PlatformRepo, name: str, inputs: str = "{}", env: str = "test") -> None:
    write_service(
        repo,
        name,
        template="bucket",
        instances=f"- {{name: {env}, environment: {env}, inputs: {inputs}}}",
    )


def copy_policies(repo: PlatformRepo, source: Path = EXAMPLE_POLICIES) -> None:
    shutil.copytree(source, repo.root / "policies", dirs_exist_ok=True)


def guarded_platform(root: Path, *, policies: bool = True) -> PlatformRepo:
    """``small_platform`` plus the bucket template, a private bucket and the policies."""
    repo = small_platform(root)
    write_bucket_template(repo)
    write_bucket(repo, "photos")
    if policies:
        copy_policies(repo)
    repo.commit("bucket template, photos, and the guardrails")
    return repo


def write_platform(repo: PlatformRepo, exceptions: str = "") -> None:
    """goldenpath.yaml, with ``exceptions`` (YAML list items) under spec.guardrails."""
    text = (
        "apiVersion: goldenpath.dev/v1\nkind: Platform\nmetadata: {name: pizza-ananas}\n"
        "spec:\n  region: us-west-2\n  prune: {service: true}\n"
    )
    if exceptions:
        text += "  guardrails:\n    exceptions:\n" + "".join(
            f"      {line}\n" for line in exceptions.strip("\n").splitlines()
        )
    repo.write("goldenpath.yaml", text)
