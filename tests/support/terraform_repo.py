"""The Terraform corpus as a Goldenpath platform repo: the provisioning sample's units.

``github-actions-provisioning/my_first_tf_env_2`` is what Proton wrote for the environment
``my_first_tf_env_2`` (template ``sample-vpc-environment-template``) and its service
instance ``Fourth-attempt-tf/fourth-tf-instance`` (``sample-lambda-function-template``).
The bundles are ``aws-samples-terraform/lambda-vpc``'s, unmodified; the service template's
``.compatible-envs`` is the one the provisioning sample ships in ``sample-templates/``.
The inputs are those the corpus's variable files show.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import SHARED, require_shared
from tests.support.platform_repo import PlatformRepo, write_teams

TF_CORPUS = SHARED / "proton-corpus-terraform"
SAMPLES = TF_CORPUS / "aws-samples-terraform"
PROVISIONING = TF_CORPUS / "github-actions-provisioning"
WRITTEN = PROVISIONING / "my_first_tf_env_2"  # what Proton wrote, file for file
ENV_TEMPLATE = "sample-vpc-environment-template"
SVC_TEMPLATE = "sample-lambda-function-template"
ACCOUNT = "987544922694"
REGION = "us-east-1"
ENV = "my_first_tf_env_2"
SERVICE = "Fourth-attempt-tf"
INSTANCE = "fourth-tf-instance"
# The environment outputs Proton passed to the instance (its proton.auto.tfvars.json).
ENV_OUTPUTS = {
    "security_group_id": "sg-070e9604b5be86bf9",
    "subnet_id": "subnet-08a92ece5f555dcab",
    "vpc_arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/vpc-0eebeefc7abf77b0b",
}


def tf_corpus() -> Path:
    return require_shared(TF_CORPUS)


def write_tf_templates(repo: PlatformRepo) -> None:
    tf_corpus()
    repo.copy_tree(SAMPLES / f"lambda-vpc/{ENV_TEMPLATE}/v1", f"templates/{ENV_TEMPLATE}/v1")
    repo.copy_tree(SAMPLES / f"lambda-vpc/{SVC_TEMPLATE}/v1", f"templates/{SVC_TEMPLATE}/v1")
    repo.copy_tree(
        PROVISIONING / f"sample-templates/{SVC_TEMPLATE}/v1", f"templates/{SVC_TEMPLATE}/v1"
    )


def write_tf_environment(repo: PlatformRepo, name: str = ENV) -> None:
    repo.write(
        f"environments/{name}.yaml",
        f"""
        apiVersion: goldenpath.dev/v1
        kind: Environment
        metadata: {{name: {name}}}
        spec:
          template: {{name: {ENV_TEMPLATE}, version: "1"}}
          account: {{id: "{ACCOUNT}", region: {REGION},
                     roleArn: "arn:aws:iam::{ACCOUNT}:role/goldenpath-deployer"}}
          inputs: {{vpc_name: my_tf_vpc}}
        """,
    )


def write_tf_service(repo: PlatformRepo, env: str = ENV) -> None:
    repo.write(
        f"services/{SERVICE}.yaml",
        f"""
        apiVersion: goldenpath.dev/v1
        kind: Service
        metadata: {{name: {SERVICE}, team: storefront}}
        spec:
          template: {{name: {SVC_TEMPLATE}, version: "1"}}
          instances:
            - name: {INSTANCE}
              environment: {env}
              inputs:
                function_name: one-function
                handler: lamba_function.lambda_handler
                lambda_runtime: python3.8
                function_s3_bucket: my-lambda-bucket-for-tf
                function_s3_key: deployment-package.zip
        """,
    )


def tf_platform(root: Path) -> PlatformRepo:
    """The corpus's environment and service instance, committed."""
    repo = PlatformRepo(root)
    write_teams(repo)
    write_tf_templates(repo)
    write_tf_environment(repo)
    write_tf_service(repo)
    repo.commit("the Terraform corpus's environment and instance")
    return repo


def corpus_platform(root: Path) -> PlatformRepo:
    """Every aws-samples-terraform bundle, unmodified, each deployed once as its own
    ``spec/spec.yaml`` asks (inputs, pipeline), each service in its first compatible
    environment; services have a repository, so pipelines can read it."""
    import yaml

    tf_corpus()
    repo = PlatformRepo(root)
    write_teams(repo)
    envs = sorted(SAMPLES.glob("environment-templates/*/v1"))
    for folder in envs:
        name = folder.parent.name
        repo.copy_tree(folder, f"templates/{name}/v1")
        spec = yaml.safe_load((folder.parent / "spec/spec.yaml").read_text())
        _environment(repo, name, name, spec.get("spec") or {})
    for folder in sorted(SAMPLES.glob("service-templates/*/v1")):
        name = folder.parent.name
        repo.copy_tree(folder, f"templates/{name}/v1")
        env = (folder / ".compatible-envs").read_text().split()[0].split(":")[0]
        spec = yaml.safe_load((folder.parent / "spec/spec.yaml").read_text())
        instance = spec["instances"][0]
        _service(repo, name, name, env, instance.get("spec") or {}, spec.get("pipeline"))
    return repo


def _environment(repo: PlatformRepo, name: str, template: str, inputs: dict) -> None:  # type: ignore[type-arg]
    import json

    repo.write(
        f"environments/{name}.yaml",
        f"""
        apiVersion: goldenpath.dev/v1
        kind: Environment
        metadata: {{name: {name}}}
        spec:
          template: {{name: {template}, version: "1"}}
          account: {{id: "{ACCOUNT}", region: {REGION},
                     roleArn: "arn:aws:iam::{ACCOUNT}:role/goldenpath-deployer"}}
          inputs: {json.dumps(inputs)}
        """,
    )


def _service(
    repo: PlatformRepo,
    name: str,
    template: str,
    env: str,
    inputs: dict,  # type: ignore[type-arg]
    pipeline: dict | None,  # type: ignore[type-arg]
) -> None:
    import json

    piped = f"\n  pipeline: {{inputs: {json.dumps(pipeline)}}}" if pipeline else ""
    repo.write(
        f"services/{name}.yaml",
        "apiVersion: goldenpath.dev/v1\nkind: Service\n"
        f"metadata: {{name: {name}, team: storefront}}\n"
        "spec:\n"
        f'  template: {{name: {template}, version: "1"}}\n'
        "  repository: {provider: github, id: pizza-ananas/" + name + ", branch: main,\n"
        '               connectionArn: "arn:aws:codestar-connections:us-east-1:'
        + ACCOUNT
        + ':connection/0000"}'
        + piped
        + "\n  instances:\n"
        f"    - name: {name}-prod\n      environment: {env}\n"
        f"      inputs: {json.dumps(inputs)}\n",
    )


TF_MANIFEST = """
infrastructure:
  templates:
    - file: "*"
      rendering_engine: hcl
      template_language: terraform
"""

TF_ENV_SCHEMA = """
schema:
  format: {openapi: "3.0.0"}
  environment_input_type: EnvInput
  types:
    EnvInput:
      type: object
      properties:
        bucket_prefix: {type: string, default: logs}
"""

TF_ENV_MAIN = """
resource "aws_s3_bucket" "logs" {
  bucket_prefix = var.environment.inputs.bucket_prefix
}

output "BucketName" {
  value = aws_s3_bucket.logs.bucket
}
"""


def write_tf_env_template(repo: PlatformRepo, name: str = "tfenv", main: str = TF_ENV_MAIN) -> None:
    """A small Terraform environment template: one S3 bucket and its name as an output."""
    root = f"templates/{name}/v1"
    repo.write(f"{root}/schema/schema.yaml", TF_ENV_SCHEMA)
    repo.write(f"{root}/infrastructure/manifest.yaml", TF_MANIFEST)
    repo.write(f"{root}/infrastructure/main.tf", main)
