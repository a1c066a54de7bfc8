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
