"""A CloudFormation service instance in a Terraform environment: it waits for the
environment's notification, then renders with the notified outputs and is deployed as a
stack (issue 13, item 5, through the notified outputs of item 4)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.server import EmbeddedEmulator
from tests.engine.aws import Aws
from tests.engine.conftest import emulator_cloud
from tests.engine.platforms import fresh_accounts
from tests.support.platform_repo import MANIFEST, PlatformRepo, write_teams
from tests.support.terraform_repo import ENV_TEMPLATE, PROVISIONING, write_tf_templates
from tests.terraform.world import ProvisioningWorld, provisioning_world, terraform_settings

QUEUE_TEMPLATE = """
AWSTemplateFormatVersion: '2010-09-09'
Description: {{ service.name }} {{ service_instance.name }} in {{ environment.name }}
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      Tags:
        - Key: subnet
          Value: '{{ environment.outputs.subnet_id }}'
Outputs:
  QueueUrl:
    Value: !Ref Queue
"""
SCHEMA = """
schema:
  format: {openapi: "3.0.0"}
  service_input_type: QueueInput
  types:
    QueueInput:
      type: object
      properties:
        label: {type: string, default: hello}
"""
METADATA = ".proton/deployment-metadata.json"


@pytest.fixture
def world(tmp_path: Path, embedded: EmbeddedEmulator) -> Iterator[ProvisioningWorld]:
    account = fresh_accounts().test
    platform = PlatformRepo(tmp_path / "platform")
    write_teams(platform)
    write_tf_templates(platform)
    root = "templates/queue-svc/v1"
    platform.write(f"{root}/schema/schema.yaml", SCHEMA)
    platform.write(f"{root}/instance_infrastructure/manifest.yaml", MANIFEST)
    platform.write(f"{root}/instance_infrastructure/cloudformation.yaml", QUEUE_TEMPLATE)
    platform.write(
        f"{root}/.template-registration.yaml", f"compatible_environments: ['{ENV_TEMPLATE}:1']\n"
    )
    platform.write(
        "environments/dev.yaml",
        f"""
        apiVersion: goldenpath.dev/v1
        kind: Environment
        metadata: {{name: dev}}
        spec:
          template: {{name: {ENV_TEMPLATE}, version: "1"}}
          account: {{id: "{account}", region: us-west-2,
                     roleArn: "arn:aws:iam::{account}:role/goldenpath-deployer"}}
          inputs: {{vpc_name: dev-vpc}}
        """,
    )
    platform.write(
        "services/queue.yaml",
        """
        apiVersion: goldenpath.dev/v1
        kind: Service
        metadata: {name: queue, team: storefront}
        spec:
          template: {name: queue-svc, version: "1"}
          instances:
            - {name: one, environment: dev}
        """,
    )
    platform.commit("a CloudFormation service in a Terraform environment")
    with provisioning_world(tmp_path, platform, emulator_cloud(embedded.url), PROVISIONING) as w:
        platform.write("goldenpath.yaml", terraform_settings(w.bare))
        platform.commit("the provisioning repository")
        yield w


def test_a_stack_service_deploys_with_a_terraform_environments_notified_outputs(
    world: ProvisioningWorld, embedded: EmbeddedEmulator
) -> None:
    first = world.apply()
    assert first.report.outcomes["environment/dev"].kind == "in_progress"
    waiting = first.report.outcomes["service/queue/one"]
    assert (waiting.kind, waiting.reason) == ("blocked", "DependencyNotReady")
    before = world.store.unit("service/queue/one")
    assert before is None or before.stack_id is None  # no stack before the outputs

    [pull] = world.open_pulls()
    world.merge(pull.number)
    deployment = json.loads(world.show("main", f"dev/{METADATA}"))["deploymentId"]
    outputs = [{"key": "subnet_id", "valueString": "subnet-0dev"}]
    assert world.post(deployment, {"status": "SUCCEEDED", "outputs": outputs}).status_code == 200

    second = world.apply()

    assert second.report.outcomes["service/queue/one"].kind == "applied"
    record = world.store.unit("service/queue/one")
    assert record is not None and record.stack_id and "QueueUrl" in record.outputs
    body = Aws(embedded.url).template(record.account, record.stack_name)
    assert "subnet-0dev" in body
    assert len(world.github.pull_requests) == 1  # the stack needed no provisioning PR
