"""Roles per account: stacks stay in their account, credentials are cached and renewed."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from reconciler.cloud import AwsCloud, Target
from tests.cloud.conftest import FakeClock, fresh_target, token, topic_stack


def test_the_same_stack_name_in_two_accounts_stays_apart(cloud: AwsCloud) -> None:
    test, production = fresh_target(), fresh_target()

    test_id = cloud.create(test, topic_stack("env", topic="test-orders"), token())
    production_id = cloud.create(production, topic_stack("env", topic="prod-orders"), token())

    assert f":{test.account_id}:" in test_id
    assert f":{production.account_id}:" in production_id
    test_state = cloud.describe(test, ["env"])["env"]
    production_state = cloud.describe(production, ["env"])["env"]
    assert test_state.outputs["TopicArn"] == f"arn:aws:sns:us-west-2:{test.account_id}:test-orders"
    assert production_state.outputs["TopicArn"] == (
        f"arn:aws:sns:us-west-2:{production.account_id}:prod-orders"
    )


def test_a_stack_deleted_in_one_account_remains_in_the_other(cloud: AwsCloud) -> None:
    test, production = fresh_target(), fresh_target()
    cloud.create(test, topic_stack("env"), token())
    cloud.create(production, topic_stack("env"), token())

    cloud.delete(test, "env", token())

    assert cloud.describe(test, ["env"]) == {}
    assert set(cloud.describe(production, ["env"])) == {"env"}


def test_each_role_is_assumed_once_while_its_credentials_are_fresh(cloud: AwsCloud) -> None:
    test, production = fresh_target(), fresh_target()

    for _ in range(3):
        cloud.describe(test, ["a", "b"])
        cloud.describe(production, ["a", "b"])

    assert cloud.api_calls() == {"sts:AssumeRole": 2, "cloudformation:DescribeStacks": 6}


def test_credentials_are_renewed_shortly_before_they_expire(
    cloud: AwsCloud, target: Target, clock: FakeClock
) -> None:
    cloud.describe(target, ["a", "b"])
    margin = cloud.settings.credential_refresh_margin
    lifetime = cloud.settings.role_session_seconds

    clock.advance(lifetime - margin - 60)
    cloud.describe(target, ["a", "b"])
    assert cloud.api_calls()["sts:AssumeRole"] == 1

    clock.advance(61)
    cloud.describe(target, ["a", "b"])
    assert cloud.api_calls()["sts:AssumeRole"] == 2


def test_a_target_without_a_role_uses_the_ambient_credentials(cloud: AwsCloud) -> None:
    # The emulator puts the ambient "testing" key in its default account.
    ambient = Target("123456789012", "eu-central-1")

    stack_id = cloud.create(ambient, topic_stack(f"ambient-{token()}"), token())

    assert ":123456789012:" in stack_id
    assert ":eu-central-1:" in stack_id
    assert "sts:AssumeRole" not in cloud.api_calls()


def test_workers_sharing_one_cloud_assume_each_role_once(cloud: AwsCloud) -> None:
    targets = [fresh_target(), fresh_target()]
    jobs = [targets[i % 2] for i in range(32)]

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda t: cloud.describe(t, ["a", "b"]), jobs))

    assert results == [{}] * 32
    assert cloud.api_calls() == {"sts:AssumeRole": 2, "cloudformation:DescribeStacks": 32}
