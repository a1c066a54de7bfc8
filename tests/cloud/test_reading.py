"""Read-only views of an account: every stack by name prefix, and a stack's deployed body.

Adoption and ``goldenpath import`` read what another tool (Proton) left; these calls must
find those stacks and return their bodies exactly as deployed, YAML or JSON.
"""

from __future__ import annotations

import json

import pytest

from reconciler.cloud import AwsCloud, CloudRejected, StackRequest, Target
from tests.cloud.conftest import token, topic_stack

YAML_BODY = """\
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: from-proton   # Proton rendered inputs into the body
Outputs:
  TopicArn:
    Value: !Ref Topic
"""


def test_stacks_lists_the_live_stacks_with_the_prefix_and_their_tags(
    cloud: AwsCloud, target: Target
) -> None:
    tags = {"proton:environment": "arn:aws:proton:us-west-2:111111111111:environment/dev"}
    cloud.create(target, topic_stack("AWSProton-dev-cloudformation-ABC", tags=tags), token())
    cloud.create(target, topic_stack("goldenpath-environment-dev", topic="x"), token())

    found = cloud.stacks(target, "AWSProton-")

    assert set(found) == {"AWSProton-dev-cloudformation-ABC"}
    assert found["AWSProton-dev-cloudformation-ABC"].tags == tags
    assert set(cloud.stacks(target)) == {
        "AWSProton-dev-cloudformation-ABC",
        "goldenpath-environment-dev",
    }


def test_stacks_leaves_out_deleted_stacks(cloud: AwsCloud, target: Target) -> None:
    cloud.create(target, topic_stack("AWSProton-gone-cloudformation-X"), token())
    cloud.delete(target, "AWSProton-gone-cloudformation-X", token())

    assert cloud.stacks(target, "AWSProton-") == {}


def test_template_returns_a_yaml_body_as_deployed(cloud: AwsCloud, target: Target) -> None:
    cloud.create(target, StackRequest("proton-yaml", YAML_BODY), token())

    assert cloud.template(target, "proton-yaml") == YAML_BODY


def test_template_returns_a_json_body_as_text(cloud: AwsCloud, target: Target) -> None:
    request = topic_stack("proton-json")
    cloud.create(target, request, token())

    assert json.loads(cloud.template(target, "proton-json")) == json.loads(request.body)


def test_template_of_a_missing_stack_is_a_missing_stack_error(
    cloud: AwsCloud, target: Target
) -> None:
    with pytest.raises(CloudRejected) as raised:
        cloud.template(target, "AWSProton-typo-cloudformation-X")

    assert raised.value.is_missing_stack
