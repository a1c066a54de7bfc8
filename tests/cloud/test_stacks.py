"""Create, describe, update, no-op and delete real stacks on the emulator over HTTP."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from reconciler.cloud import (
    MAX_INLINE_BODY_BYTES,
    AwsCloud,
    CloudRejected,
    NoChange,
    Phase,
    StackRequest,
    Target,
    Updated,
)
from reconciler.errors import CloudError
from tests.cloud.conftest import token, topic_stack


def test_created_stack_is_described_with_outputs_tags_and_parameters(
    cloud: AwsCloud, target: Target
) -> None:
    stack_id = cloud.create(target, topic_stack("env-test", topic="orders"), token())

    state = cloud.describe(target, ["env-test"])["env-test"]

    assert state.stack_id == stack_id
    assert f":{target.account_id}:stack/env-test/" in stack_id
    assert state.phase is Phase.SUCCEEDED
    assert state.outputs == {"TopicArn": f"arn:aws:sns:us-west-2:{target.account_id}:orders"}
    assert state.tags == {"goldenpath:unit": "environment/env-test"}
    assert state.parameters == {"TopicName": "orders"}


def test_describe_leaves_out_stacks_that_do_not_exist(cloud: AwsCloud, target: Target) -> None:
    cloud.create(target, topic_stack("present"), token())

    assert cloud.describe(target, ["absent"]) == {}
    assert set(cloud.describe(target, ["present", "absent"])) == {"present"}


def test_describe_of_no_names_makes_no_call(cloud: AwsCloud, target: Target) -> None:
    assert cloud.describe(target, []) == {}
    assert cloud.api_calls() == {}


def test_update_with_a_change_starts_an_update_and_changes_outputs(
    cloud: AwsCloud, target: Target
) -> None:
    stack_id = cloud.create(target, topic_stack("svc-web", topic="before"), token())

    outcome = cloud.update(target, topic_stack("svc-web", topic="after"), token())

    assert outcome == Updated(stack_id)
    state = cloud.describe(target, ["svc-web"])["svc-web"]
    assert state.status == "UPDATE_COMPLETE"
    assert state.outputs["TopicArn"].endswith(":after")


def test_update_without_a_change_is_a_no_change_outcome(cloud: AwsCloud, target: Target) -> None:
    cloud.create(target, topic_stack("svc-web"), token())

    outcome = cloud.update(target, topic_stack("svc-web"), token())

    assert outcome == NoChange("svc-web")


def test_deleted_stack_is_no_longer_described(cloud: AwsCloud, target: Target) -> None:
    cloud.create(target, topic_stack("svc-old"), token())

    cloud.delete(target, "svc-old", token())

    assert cloud.describe(target, ["svc-old"]) == {}


def test_deleting_a_stack_that_does_not_exist_succeeds(cloud: AwsCloud, target: Target) -> None:
    cloud.delete(target, "never-created", token())

    assert cloud.api_calls()["cloudformation:DeleteStack"] == 1


def test_creating_an_existing_stack_is_rejected_with_name_and_aws_message(
    cloud: AwsCloud, target: Target
) -> None:
    cloud.create(target, topic_stack("env-test"), token())

    with pytest.raises(CloudRejected) as caught:
        cloud.create(target, topic_stack("env-test"), token())

    error = caught.value
    assert isinstance(error, CloudError)
    assert isinstance(error.__cause__, ClientError)
    assert error.code == "AlreadyExistsException"
    assert error.is_already_exists
    # Stock moto says "Stack env-test", AWS (and the emulator, once it patched moto in
    # this process) "Stack [env-test]": the message is AWS's own either way.
    assert str(error) in {
        f"CreateStack env-test in {target}: AlreadyExistsException: Stack {name} already exists"
        for name in ("env-test", "[env-test]")
    }


def test_updating_a_missing_stack_is_rejected_as_missing(cloud: AwsCloud, target: Target) -> None:
    with pytest.raises(CloudRejected) as caught:
        cloud.update(target, topic_stack("ghost"), token())

    assert caught.value.is_missing_stack
    assert "UpdateStack ghost" in str(caught.value)
    assert "does not exist" in str(caught.value)


def test_events_come_newest_first_and_are_limited(cloud: AwsCloud, target: Target) -> None:
    cloud.create(target, topic_stack("svc-events"), token())
    cloud.update(target, topic_stack("svc-events", topic="changed"), token())

    events = cloud.events(target, "svc-events", limit=2)

    assert len(events) == 2
    assert events[0].timestamp >= events[1].timestamp
    assert events[0].status == "UPDATE_COMPLETE"
    assert all(event.stack_name == "svc-events" for event in events)


def test_an_oversized_template_is_refused_before_any_call(cloud: AwsCloud, target: Target) -> None:
    huge = StackRequest(name="too-big", body=" " * (MAX_INLINE_BODY_BYTES + 1))

    with pytest.raises(CloudError, match=r"too-big .* is 51,201 bytes; .* at most 51,200"):
        cloud.create(target, huge, token())

    assert cloud.api_calls() == {}


def test_a_malformed_request_token_is_refused_before_any_call(
    cloud: AwsCloud, target: Target
) -> None:
    with pytest.raises(ValueError, match="request token"):
        cloud.create(target, topic_stack("env-test"), "not a token")

    assert cloud.api_calls() == {}
