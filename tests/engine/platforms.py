"""Small platform repos for the engine tests, each in accounts no other test uses.

Every test shares one emulator, and stack names are derived from unit ids, so tests keep
apart by account: ``fresh_accounts()`` hands out ids no other test (of this area or of
the emulator and cloud areas, which count from 100… and 210…) has touched.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from pathlib import Path

from tests.support.platform_repo import (
    MANIFEST,
    PlatformRepo,
    write_env_template,
    write_environment,
    write_svc_template,
    write_teams,
)

# Distinct per process, so that parallel sessions against one standalone emulator differ.
_accounts = itertools.count(310_000_000_000 + (os.getpid() % 10_000) * 10_000 + 1)


@dataclass(frozen=True)
class Accounts:
    """One account per environment, and one for pipelines."""

    test: str
    staging: str
    production: str
    pipelines: str

    def of(self, environment: str) -> str:
        return str(getattr(self, environment))


def fresh_accounts() -> Accounts:
    return Accounts(*(str(next(_accounts)) for _ in range(4)))


def write_platform(
    repo: PlatformRepo,
    accounts: Accounts,
    *,
    order: tuple[str, ...] = ("test", "staging", "production"),
    prune_service: bool = True,
    prune_environment: bool = False,
    data_templates: tuple[str, ...] = (),
) -> None:
    data = f"\n  data_templates: [{', '.join(data_templates)}]" if data_templates else ""
    repo.write(
        "goldenpath.yaml",
        f"""
apiVersion: goldenpath.dev/v1
kind: Platform
metadata: {{name: engine-tests}}
spec:
  region: us-west-2
  rollout: {{order: [{", ".join(order)}]}}
  pipelines:
    account: {{id: "{accounts.pipelines}", region: us-west-2,
               roleArn: "arn:aws:iam::{accounts.pipelines}:role/goldenpath-deployer"}}
  prune: {{environment: {str(prune_environment).lower()},
           service: {str(prune_service).lower()}, pipeline: true}}{data}
""",
    )


def write_service(
    repo: PlatformRepo,
    name: str,
    instances: dict[str, str],
    *,
    template: str = "svc",
    version: str = "1",
    updates: str = "manual",
    pipeline: bool = False,
    bindings: dict[str, dict[str, str]] | None = None,
) -> None:
    """A service with one instance per ``{instance: environment}``; inputs as YAML flows."""
    lines = [
        "apiVersion: goldenpath.dev/v1",
        "kind: Service",
        f"metadata: {{name: {name}, team: storefront}}",
        "spec:",
        f'  template: {{name: {template}, version: "{version}"}}',
        f"  updates: {{minor: {updates}}}",
    ]
    if pipeline:
        lines.append("  pipeline: {inputs: {command: make test}}")
    lines.append("  instances:")
    for instance, environment in instances.items():
        lines += [f"    - name: {instance}", f"      environment: {environment}"]
        bound = (bindings or {}).get(instance, {})
        if bound:
            flow = ", ".join(f"{alias}: {{service: {target}}}" for alias, target in bound.items())
            lines.append(f"      bindings: {{{flow}}}")
    repo.write(f"services/{name}.yaml", "\n".join(lines) + "\n")


def set_inputs(repo: PlatformRepo, service: str, instance: str, inputs: str) -> None:
    """Give one instance of a service an ``inputs:`` flow mapping, e.g. ``{size: 3}``."""
    path = repo.root / "services" / f"{service}.yaml"
    lines = path.read_text().splitlines(keepends=True)
    at = lines.index(f"    - name: {instance}\n")
    if lines[at + 1].startswith("      inputs:"):
        del lines[at + 1]
    lines.insert(at + 1, f"      inputs: {inputs}\n")
    path.write_text("".join(lines))


INSTANCE_TEMPLATE = "templates/svc/v1/instance_infrastructure/cloudformation.yaml"
# The emulator fails an update only where it creates a resource (see docs/engine.md), so
# the failure tests change a stack by adding one: a dead-letter queue, on request.
DEAD_LETTER = """{% if service_instance.inputs.dead_letter %}
  DeadLetter:
    Type: AWS::SQS::Queue
{% endif %}
"""


def write_engine_svc_template(repo: PlatformRepo) -> None:
    """The shared svc template, plus an optional dead-letter queue (input ``dead_letter``)."""
    write_svc_template(repo)
    schema = repo.root / "templates/svc/v1/schema/schema.yaml"
    text = schema.read_text()
    label = "        label: {type: string, default: hello}\n"
    assert label in text
    schema.write_text(
        text.replace(label, label + "        dead_letter: {type: boolean, default: false}\n")
    )
    insert_resource(repo, DEAD_LETTER)


def insert_resource(repo: PlatformRepo, block: str) -> None:
    """Add ``block`` at the end of the instance template's Resources."""
    path = repo.root / INSTANCE_TEMPLATE
    text = path.read_text()
    assert "\nOutputs:" in text
    path.write_text(text.replace("\nOutputs:", "\n" + block.rstrip("\n") + "\nOutputs:", 1))


def cycle_platform(root: Path, accounts: Accounts) -> PlatformRepo:
    """Two environments in two accounts; orders (with a pipeline) and web, bound to orders."""
    repo = PlatformRepo(root)
    write_env_template(repo)
    write_engine_svc_template(repo)
    write_platform(repo, accounts)
    write_environment(repo, "test", accounts.test)
    write_environment(repo, "production", accounts.production)
    write_teams(repo)
    write_service(repo, "orders", {"test": "test", "production": "production"}, pipeline=True)
    set_inputs(repo, "orders", "test", "{size: 2}")
    write_service(repo, "web", {"test": "test"}, bindings={"test": {"orders": "orders"}})
    repo.commit("Two environments, orders with a pipeline, web bound to orders")
    return repo


def three_environments(
    root: Path, accounts: Accounts, *, env_updates: str = "manual", svc_updates: str = "manual"
) -> PlatformRepo:
    """test, staging and production in three accounts; web runs in each."""
    repo = PlatformRepo(root)
    write_env_template(repo)
    write_engine_svc_template(repo)
    write_platform(repo, accounts)
    for env in ("test", "staging", "production"):
        write_environment(repo, env, accounts.of(env), updates=env_updates)
    write_teams(repo)
    write_service(
        repo,
        "web",
        {"test": "test", "staging": "staging", "production": "production"},
        updates=svc_updates,
    )
    repo.commit("Three environments, web in each")
    return repo


def bump_service_template(repo: PlatformRepo, resource: str = "Audit") -> str:
    """A backward-compatible change to the svc template (a new topic): its next minor."""
    insert_resource(repo, f"  {resource}:\n    Type: AWS::SNS::Topic\n")
    return repo.commit(f"svc template: a {resource} topic")


DATA_SCHEMA = """
schema:
  format: {openapi: "3.0.0"}
  service_input_type: DataInput
  types:
    DataInput:
      type: object
      properties:
        label: {type: string, default: orders}
"""

# No explicit names: CloudFormation names them, and the outputs say what they are.
DATA_TEMPLATE = """
AWSTemplateFormatVersion: '2010-09-09'
Description: data of {{ service.name }} ({{ service_instance.inputs.label }})
Resources:
  Bucket:
    Type: AWS::S3::Bucket
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - {AttributeName: id, AttributeType: S}
      KeySchema:
        - {AttributeName: id, KeyType: HASH}
Outputs:
  BucketName:
    Value: !Ref Bucket
  TableName:
    Value: !Ref Table
"""


def write_data_template(repo: PlatformRepo, name: str = "orders-db") -> None:
    root = f"templates/{name}/v1"
    repo.write(f"{root}/schema/schema.yaml", DATA_SCHEMA)
    repo.write(f"{root}/instance_infrastructure/manifest.yaml", MANIFEST)
    repo.write(f"{root}/instance_infrastructure/cloudformation.yaml", DATA_TEMPLATE)
    repo.write(f"{root}/.template-registration.yaml", "compatible_environments: ['env:1']\n")


def data_platform(root: Path, accounts: Accounts) -> PlatformRepo:
    """One environment and a service on a template goldenpath.yaml marks as holding data."""
    repo = PlatformRepo(root)
    write_env_template(repo)
    write_data_template(repo)
    write_platform(repo, accounts, data_templates=("orders-db",))
    write_environment(repo, "test", accounts.test)
    write_teams(repo)
    write_service(repo, "orders-db", {"test": "test"}, template="orders-db")
    repo.commit("orders-db: a bucket and a table")
    return repo
