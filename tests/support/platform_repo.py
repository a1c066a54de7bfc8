"""Build real platform repos in git on disk, commit by commit, for tests."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from textwrap import dedent

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Anna",
    "GIT_AUTHOR_EMAIL": "anna@pizza-ananas.example",
    "GIT_COMMITTER_NAME": "Anna",
    "GIT_COMMITTER_EMAIL": "anna@pizza-ananas.example",
    "GIT_CONFIG_NOSYSTEM": "1",
}


class PlatformRepo:
    """A git repository on disk that a test writes specs and templates into."""

    def __init__(self, root: Path, *, branch: str = "main") -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", branch)

    def git(self, *args: str) -> str:
        env = {**os.environ, **GIT_ENV, "HOME": str(self.root)}
        done = subprocess.run(
            ["git", *args], cwd=self.root, env=env, check=True, capture_output=True, text=True
        )
        return done.stdout.strip()

    def write(self, path: str, text: str) -> Path:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(dedent(text).lstrip("\n"))
        return target

    def write_bytes(self, path: str, data: bytes) -> Path:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return target

    def remove(self, path: str) -> None:
        target = self.root / path
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink()

    def copy_tree(self, source: Path, dest: str) -> None:
        shutil.copytree(source, self.root / dest, dirs_exist_ok=True)

    def commit(self, message: str) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD")


ENV_SCHEMA = """
schema:
  format: {openapi: "3.0.0"}
  environment_input_type: EnvInput
  types:
    EnvInput:
      type: object
      properties:
        vpc_cidr: {type: string, default: 10.0.0.0/16}
"""

ENV_TEMPLATE = """
AWSTemplateFormatVersion: '2010-09-09'
Description: Environment {{ environment.name }}
Resources:
  VPC:
    Type: AWS::EC2::VPC
    Properties:
      CidrBlock: '{{ environment.inputs.vpc_cidr }}'
Outputs:
  VpcId:
    Value: !Ref VPC
"""

MANIFEST = """
infrastructure:
  templates:
    - file: "cloudformation.yaml"
      rendering_engine: jinja
      template_language: cloudformation
"""

SVC_SCHEMA = """
schema:
  format: {openapi: "3.0.0"}
  service_input_type: SvcInput
  pipeline_input_type: PipelineInput
  types:
    SvcInput:
      type: object
      properties:
        size: {type: number, default: 1, minimum: 1}
        label: {type: string, default: hello}
    PipelineInput:
      type: object
      properties:
        command: {type: string, default: make}
"""

SVC_TEMPLATE = """
AWSTemplateFormatVersion: '2010-09-09'
Description: {{ service.name }} {{ service_instance.name }} in {{ environment.name }}
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      DelaySeconds: {{ service_instance.inputs.size }}
      Tags:
        - Key: vpc
          Value: '{{ environment.outputs.VpcId }}'
{% for alias, b in service_instance.bindings.items() %}
        - Key: binding-{{ alias }}
          Value: '{{ b.outputs.QueueUrl }}'
{% endfor %}
Outputs:
  QueueUrl:
    Value: !Ref Queue
"""

PIPELINE_TEMPLATE = """
AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      DisplayName: '{{ pipeline.inputs.command }}'
{% for i in service_instances %}
  Topic{{ loop.index }}:
    Type: AWS::SNS::Topic
    Properties:
      DisplayName: '{{ i.outputs.QueueUrl }}'
{% endfor %}
"""


def write_env_template(repo: PlatformRepo, name: str = "env", major: int = 1) -> None:
    root = f"templates/{name}/v{major}"
    repo.write(f"{root}/schema/schema.yaml", ENV_SCHEMA)
    repo.write(f"{root}/infrastructure/manifest.yaml", MANIFEST)
    repo.write(f"{root}/infrastructure/cloudformation.yaml", ENV_TEMPLATE)


def write_svc_template(
    repo: PlatformRepo, name: str = "svc", major: int = 1, env: str = "env:1"
) -> None:
    root = f"templates/{name}/v{major}"
    repo.write(f"{root}/schema/schema.yaml", SVC_SCHEMA)
    repo.write(f"{root}/instance_infrastructure/manifest.yaml", MANIFEST)
    repo.write(f"{root}/instance_infrastructure/cloudformation.yaml", SVC_TEMPLATE)
    repo.write(f"{root}/pipeline_infrastructure/manifest.yaml", MANIFEST)
    repo.write(f"{root}/pipeline_infrastructure/cloudformation.yaml", PIPELINE_TEMPLATE)
    repo.write(f"{root}/.template-registration.yaml", f"compatible_environments: ['{env}']\n")


def write_environment(
    repo: PlatformRepo,
    name: str,
    account: str = "111111111111",
    template: str = "env",
    version: str = "1",
    updates: str = "manual",
    component_role: bool = False,
) -> None:
    role = f'\n          componentRoleArn: "{component_role_of(account)}"' if component_role else ""
    repo.write(
        f"environments/{name}.yaml",
        f"""
        apiVersion: goldenpath.dev/v1
        kind: Environment
        metadata: {{name: {name}}}
        spec:
          template: {{name: {template}, version: "{version}"}}
          updates: {{minor: {updates}}}
          account: {{id: "{account}", region: us-west-2,
                     roleArn: "arn:aws:iam::{account}:role/goldenpath-deployer"}}{role}
        """,
    )


def component_role_of(account: str) -> str:
    return f"arn:aws:iam::{account}:role/goldenpath-components"


# A directly defined component, in Proton's format: an SQS queue and its URL.
QUEUE_COMPONENT = """
AWSTemplateFormatVersion: '2010-09-09'
Description: >-
  {{ component.name }} of {{ service.name }} {{ service_instance.name }}
  in {{ environment.name }}
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      DelaySeconds: {{ service_instance.inputs.size }}
      Tags:
        - Key: vpc
          Value: '{{ environment.outputs.VpcId }}'
Outputs:
  QueueUrl:
    Value: !Ref Queue
"""

# The service template, reading its components' outputs as Proton templates do.
SVC_TEMPLATE_WITH_COMPONENTS = SVC_TEMPLATE.replace(
    "          Value: '{{ environment.outputs.VpcId }}'\n",
    "          Value: '{{ environment.outputs.VpcId }}'\n"
    "        - Key: queue\n"
    "          Value: '{{ service_instance.components.queue.outputs.QueueUrl"
    ' | default("no queue") }}\'\n',
)
assert SVC_TEMPLATE_WITH_COMPONENTS != SVC_TEMPLATE


def write_component(
    repo: PlatformRepo, service: str, name: str = "queue", body: str = QUEUE_COMPONENT
) -> None:
    root = f"services/{service}/components/{name}"
    repo.write(f"{root}/manifest.yaml", MANIFEST)
    repo.write(f"{root}/cloudformation.yaml", body)


def allow_components(repo: PlatformRepo, template: str = "svc", env: str = "env:1") -> None:
    """The service template allows directly defined components, and reads a queue's URL."""
    root = f"templates/{template}/v1"
    repo.write(
        f"{root}/.template-registration.yaml",
        f"compatible_environments: ['{env}']\nsupported_component_sources: [DIRECTLY_DEFINED]\n",
    )
    repo.write(f"{root}/instance_infrastructure/cloudformation.yaml", SVC_TEMPLATE_WITH_COMPONENTS)


def write_service(
    repo: PlatformRepo,
    name: str,
    *,
    team: str = "storefront",
    template: str = "svc",
    version: str = "1",
    instances: str = "",
    pipeline: bool = False,
) -> None:
    body = (
        instances
        or """
          - name: test
            environment: test
    """
    )
    pipe = "  pipeline: {inputs: {command: make test}}\n" if pipeline else ""
    repo.write(
        f"services/{name}.yaml",
        (
            "apiVersion: goldenpath.dev/v1\nkind: Service\n"
            f"metadata: {{name: {name}, team: {team}}}\nspec:\n"
            f'  template: {{name: {template}, version: "{version}"}}\n{pipe}'
            "  instances:\n" + _indent(dedent(body).strip("\n"), 4) + "\n"
        ),
    )


def write_teams(repo: PlatformRepo, extra: str = "") -> None:
    repo.write(
        "teams.yaml",
        """
        apiVersion: goldenpath.dev/v1
        kind: Teams
        metadata: {name: pizza-ananas}
        spec:
          teams:
            platform: {admin: true, members: [anna, john]}
            storefront: {members: [gregg], templates: ["*"], environments: ["*"]}
            payments: {members: [priya], templates: [dynamodb-table], environments: [test]}
        """
        + extra,
    )


def _indent(text: str, n: int) -> str:
    return "\n".join(" " * n + line if line else line for line in text.splitlines())


def small_platform(root: Path) -> PlatformRepo:
    """An environment template, a service template, two environments, two services."""
    repo = PlatformRepo(root)
    write_env_template(repo)
    write_svc_template(repo)
    write_environment(repo, "test", "111111111111")
    write_environment(repo, "production", "333333333333")
    write_teams(repo)
    write_service(
        repo,
        "orders",
        pipeline=True,
        instances="""
        - name: test
          environment: test
          inputs: {size: 2}
        - name: production
          environment: production
    """,
    )
    write_service(
        repo,
        "web",
        instances="""
        - name: test
          environment: test
          bindings: {orders: {service: orders}}
    """,
    )
    repo.commit("A small platform")
    return repo


def example_platform(root: Path) -> PlatformRepo:
    """``platform-repo-example`` as a git repository of its own, committed once."""
    from tests.conftest import EXAMPLE_REPO

    repo = PlatformRepo(root)
    repo.copy_tree(EXAMPLE_REPO, ".")
    repo.commit("Pizza&Ananas platform, from the example")
    return repo
