"""FaultyCloud makes chosen calls fail like the real edge would, and records every call."""

from __future__ import annotations

import pytest

from reconciler.cloud import AwsCloud, Cloud, CloudRejected, Fault, FaultyCloud, StackRef, Target
from reconciler.errors import CloudThrottled, CloudUnreachable
from tests.cloud.conftest import token, topic_stack


def test_a_throttle_fault_fails_n_times_then_lets_calls_through(
    cloud: AwsCloud, target: Target
) -> None:
    faulty = FaultyCloud(cloud, [Fault("create", "throttle", times=2, delay=3.0)])

    for _ in range(2):
        with pytest.raises(CloudThrottled) as caught:
            faulty.create(target, topic_stack("env-test"), token())
        assert caught.value.delay == 3.0
    stack_id = faulty.create(target, topic_stack("env-test"), token())

    assert cloud.describe(target, ["env-test"])["env-test"].stack_id == stack_id
    assert cloud.api_calls()["cloudformation:CreateStack"] == 1


def test_a_fault_for_one_stack_leaves_other_stacks_alone(cloud: AwsCloud, target: Target) -> None:
    faulty = FaultyCloud(cloud, [Fault("create", "unreachable", stack="svc-bad", times=5)])

    faulty.create(target, topic_stack("svc-good"), token())
    with pytest.raises(CloudUnreachable, match=r"create svc-bad in .*: injected network error"):
        faulty.create(target, topic_stack("svc-bad"), token())

    assert set(cloud.describe(target, ["svc-good", "svc-bad"])) == {"svc-good"}


def test_a_fault_after_the_call_lets_the_operation_happen(cloud: AwsCloud, target: Target) -> None:
    faulty = FaultyCloud(cloud, [Fault("create", "unreachable", after=True)])

    with pytest.raises(CloudUnreachable):
        faulty.create(target, topic_stack("env-test"), token())

    assert set(cloud.describe(target, ["env-test"])) == {"env-test"}


def test_a_reject_fault_raises_cloud_rejected_with_its_code(
    cloud: AwsCloud, target: Target
) -> None:
    faulty = FaultyCloud(cloud, [Fault("update", "reject", code="AccessDenied")])

    with pytest.raises(CloudRejected) as caught:
        faulty.update(target, topic_stack("env-test"), token())

    assert caught.value.code == "AccessDenied"
    assert caught.value.site.stack == "env-test"
    assert "cloudformation:UpdateStack" not in cloud.api_calls()


def test_a_wait_fault_matches_any_stack_waited_on(cloud: AwsCloud, target: Target) -> None:
    faulty = FaultyCloud(cloud, [Fault("wait", "throttle", stack="svc-b")])
    for name in ("svc-a", "svc-b"):
        cloud.create(target, topic_stack(name), token())
    refs = [StackRef(target, "svc-a"), StackRef(target, "svc-b")]

    with pytest.raises(CloudThrottled):
        faulty.wait(refs)
    assert set(faulty.wait(refs)) == set(refs)


def test_every_call_is_recorded_with_the_fault_that_answered_it(
    cloud: AwsCloud, target: Target
) -> None:
    fault = Fault("*", "throttle")
    faulty: Cloud = FaultyCloud(cloud, [fault])

    with pytest.raises(CloudThrottled):
        faulty.describe(target, ["env-test"])
    faulty.describe(target, ["env-test"])
    faulty.delete(target, "env-test", token())

    assert isinstance(faulty, FaultyCloud)
    assert [(c.operation, c.stacks, c.fault) for c in faulty.calls] == [
        ("describe", ("env-test",), fault),
        ("describe", ("env-test",), None),
        ("delete", ("env-test",), None),
    ]
    assert faulty.calls_to("describe") == 2
    assert faulty.calls_to("delete", "env-test") == 1
