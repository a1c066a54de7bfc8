"""Failure paths over HTTP: real CloudFormation failure states from the emulator's faults."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.cloud import AwsCloud, CloudSettings, Fault, FaultyCloud, RetryPolicy
from reconciler.render import Linter
from reconciler.state import UnitRecord
from tests.engine.conftest import Build, FakeClock, Harness
from tests.engine.platforms import Accounts, cycle_platform, set_inputs
from tests.support.platform_repo import PlatformRepo

MakeHarness = Callable[[Build], Harness]
ORDERS_TEST = "goldenpath-service-orders-test"


def condition(record: UnitRecord | None, kind: str) -> tuple[bool, str, str]:
    assert record is not None
    found = record.condition(kind)  # type: ignore[arg-type]
    assert found is not None, f"{record.id} has no {kind} condition"
    return found.status, found.reason, found.message


@pytest.fixture
def cycle(harness: MakeHarness) -> Harness:
    return harness(cycle_platform)


def test_a_failed_create_stalls_the_unit_blocks_its_dependants_and_the_rest_completes(
    cycle: Harness,
) -> None:
    cycle.aws.add_fault(
        {
            "kind": "fail",
            "operation": "create",
            "stackName": ORDERS_TEST,
            "account": cycle.accounts.test,
            "message": "queue quota exceeded",
        }
    )

    applied = cycle.apply()

    kinds = {u: o.kind for u, o in applied.report.outcomes.items()}
    assert kinds == {
        "environment/test": "applied",
        "environment/production": "applied",
        "service/orders/production": "applied",
        "service/orders/test": "failed",
        "service/web/test": "blocked",
        "pipeline/orders": "blocked",
    }
    stalled = condition(cycle.store.unit("service/orders/test"), "Stalled")
    assert stalled[0] is True
    assert "ROLLBACK_COMPLETE" in stalled[2] and "queue quota exceeded" in stalled[2]
    assert condition(cycle.store.unit("service/orders/test"), "Ready")[0] is False
    blocked = condition(cycle.store.unit("service/web/test"), "Reconciling")
    assert blocked[:2] == (True, "DependencyNotReady")
    assert "service/orders/test" in blocked[2]
    assert cycle.aws.stacks(cycle.accounts.test)[ORDERS_TEST]["StackStatus"] == (
        "ROLLBACK_COMPLETE"
    )
    assert "goldenpath-service-web-test" not in cycle.aws.stacks(cycle.accounts.test)
    assert [d.status for d in cycle.store.history("service/orders/test")] == ["FAILED"]


def test_a_failed_update_rolls_back_and_stalls_the_unit(cycle: Harness) -> None:
    assert cycle.apply().report.ok
    before = cycle.store.unit("service/orders/production")
    cycle.aws.add_fault(
        {
            "kind": "fail",
            "operation": "update",
            "stackName": "goldenpath-service-orders-production",
            "account": cycle.accounts.production,
            "resourceType": "AWS::SQS::Queue",
            "message": "queue quota exceeded",
        }
    )
    set_inputs(cycle.repo, "orders", "production", "{dead_letter: true}")
    cycle.repo.commit("orders in production: a dead-letter queue")

    applied = cycle.apply()

    assert applied.report.outcomes["service/orders/production"].kind == "failed"
    live = cycle.stack("service/orders/production")
    assert live["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    after = cycle.store.unit("service/orders/production")
    stalled = condition(after, "Stalled")
    assert stalled[0] is True
    assert "UPDATE_ROLLBACK_COMPLETE" in stalled[2] and "queue quota exceeded" in stalled[2]
    assert before is not None and after is not None
    assert (after.fingerprint, after.version, after.last_applied_revision) == (
        before.fingerprint,
        before.version,
        before.last_applied_revision,
    )
    assert [d.status for d in cycle.store.history("service/orders/production")] == [
        "FAILED",
        "SUCCEEDED",
    ]


def test_a_stalled_unit_is_retried_only_once_its_fingerprint_changes(cycle: Harness) -> None:
    cycle.aws.add_fault(
        {
            "kind": "fail",
            "operation": "create",
            "stackName": ORDERS_TEST,
            "account": cycle.accounts.test,
            "count": 1,
        }
    )
    assert cycle.apply().report.outcomes["service/orders/test"].kind == "failed"
    cycle.repo.write("README.md", "A commit that does not touch orders\n")
    cycle.repo.commit("docs")
    calls = cycle.cloud.api_calls()

    again = cycle.apply()

    assert again.report.outcomes["service/orders/test"].reason == "Stalled"
    assert cycle.cloud.api_calls().get("cloudformation:CreateStack") == calls.get(
        "cloudformation:CreateStack"
    )
    assert cycle.aws.stacks(cycle.accounts.test)[ORDERS_TEST]["StackStatus"] == (
        "ROLLBACK_COMPLETE"
    )

    set_inputs(cycle.repo, "orders", "production", "{size: 3}")
    set_inputs(cycle.repo, "orders", "test", "{size: 4}")
    cycle.repo.commit("orders: a fix")
    fixed = cycle.apply()

    assert fixed.report.ok, fixed.report.outcomes
    assert cycle.aws.stacks(cycle.accounts.test)[ORDERS_TEST]["StackStatus"] == "CREATE_COMPLETE"
    assert condition(cycle.store.unit("service/orders/test"), "Ready")[0] is True
    assert condition(cycle.store.unit("service/orders/test"), "Stalled")[0] is False
    assert fixed.report.outcomes["service/web/test"].kind == "applied"
    assert [d.status for d in cycle.store.history("service/orders/test")] == [
        "SUCCEEDED",
        "FAILED",
    ]


def test_a_throttled_create_is_sent_again_with_backoff_on_the_fake_clock(cycle: Harness) -> None:
    clock = FakeClock()
    faulty = FaultyCloud(
        cycle.cloud, [Fault("create", "throttle", times=2, stack="goldenpath-environment-test")]
    )

    applied = cycle.engine(faulty, clock=clock).apply(cycle.snapshot())

    assert applied.report.ok, applied.report.outcomes
    assert faulty.calls_to("create", "goldenpath-environment-test") == 3
    policy: RetryPolicy = cycle.settings.retry
    assert len(clock.sleeps) == 2
    for retry, pause in enumerate(clock.sleeps):
        # At least what the cloud asked for (1 s), at most the backoff ceiling.
        assert 1.0 <= pause <= max(1.0, policy.ceiling(retry))
    (operation,) = cycle.store.operations("environment/test")
    assert operation.state == "done"
    assert [d.status for d in cycle.store.history("environment/test")] == ["SUCCEEDED"]


def test_a_create_throttled_past_every_retry_waits_for_the_next_apply(cycle: Harness) -> None:
    clock = FakeClock()
    tries = cycle.settings.retry.max_attempts
    faulty = FaultyCloud(
        cycle.cloud,
        [Fault("create", "throttle", times=tries, stack="goldenpath-environment-production")],
    )

    first = cycle.engine(faulty, clock=clock).apply(cycle.snapshot())

    assert first.report.outcomes["environment/production"].kind == "retrying"
    reconciling = condition(cycle.store.unit("environment/production"), "Reconciling")
    assert reconciling[0] is True
    assert condition(cycle.store.unit("environment/production"), "Stalled")[0] is False
    assert first.report.outcomes["service/orders/production"].kind == "blocked"
    assert len(clock.sleeps) == tries - 1
    second = cycle.apply()
    assert second.report.ok, second.report.outcomes
    assert "goldenpath-environment-production" in cycle.aws.stacks(cycle.accounts.production)


def test_a_create_whose_answer_was_lost_is_not_made_twice(cycle: Harness) -> None:
    faulty = FaultyCloud(
        cycle.cloud,
        [Fault("create", "unreachable", after=True, stack="goldenpath-environment-test")],
    )

    applied = cycle.engine(faulty, clock=FakeClock()).apply(cycle.snapshot())

    assert applied.report.ok, applied.report.outcomes
    assert cycle.aws.stack_names_ever(cycle.accounts.test).count("goldenpath-environment-test") == 1
    assert condition(cycle.store.unit("environment/test"), "Ready")[0] is True


def test_a_lost_state_store_finds_its_stacks_again_without_creating_any(
    cycle: Harness, tmp_path: object
) -> None:
    assert cycle.apply().report.ok
    from reconciler.state import StateStore

    fresh = StateStore.open(f"sqlite:///{cycle.repo.root.parent / 'lost.db'}")
    try:
        lost = Harness(cycle.repo, fresh, cycle.cloud, cycle.aws, cycle.accounts)
        applied = lost.apply()
    finally:
        fresh.close()

    assert applied.report.ok, applied.report.outcomes
    for account in (cycle.accounts.test, cycle.accounts.production, cycle.accounts.pipelines):
        names = cycle.aws.stack_names_ever(account)
        assert len(names) == len(set(names)), names


def test_a_stack_of_that_name_made_by_someone_else_is_left_alone(cycle: Harness) -> None:
    cfn = cycle.aws.client("cloudformation", cycle.accounts.test)
    body = '{"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}'
    cfn.create_stack(StackName="goldenpath-environment-test", TemplateBody=body)

    applied = cycle.apply()

    outcome = applied.report.outcomes["environment/test"]
    assert outcome.kind == "failed"
    assert "was not made for environment/test" in outcome.message
    assert "Topic" in cycle.aws.template(cycle.accounts.test, "goldenpath-environment-test")
    assert applied.report.outcomes["environment/production"].kind == "applied"


def test_a_unit_that_never_applied_gives_its_dependants_no_outputs(cycle: Harness) -> None:
    cycle.aws.add_fault(
        {
            "kind": "fail",
            "operation": "create",
            "stackName": ORDERS_TEST,
            "account": cycle.accounts.test,
        }
    )
    assert cycle.apply().report.outcomes["service/web/test"].kind == "blocked"

    plan = cycle.plan().plan

    orders = plan.of("service/orders/test")
    web = plan.of("service/web/test")
    assert orders is not None and orders.action == "blocked"
    assert web is not None and web.action == "blocked"
    assert "waits for service/orders/test" in web.reason
    assert web.fingerprint is None


def broken_environment(root: Path, accounts: Accounts) -> PlatformRepo:
    """The cycle platform, its environment template with a property CloudFormation lacks."""
    repo = cycle_platform(root, accounts)
    path = repo.root / "templates/env/v1/infrastructure/cloudformation.yaml"
    path.write_text(
        path.read_text().replace("      CidrBlock:", "      CidrBlocks: 1\n      CidrBlock:")
    )
    repo.commit("env template: a typo")
    return repo


def test_a_template_cfn_lint_rejects_stalls_before_any_stack_call(harness: MakeHarness) -> None:
    made = harness(broken_environment)
    made.linter = Linter()
    watched = FaultyCloud(made.cloud, [])

    applied = made.engine(watched).apply(made.snapshot())

    outcome = applied.report.outcomes["environment/test"]
    assert (outcome.kind, outcome.reason) == ("invalid", "LintFailed")
    assert "templates/env/v1/infrastructure/cloudformation.yaml, rendered line" in outcome.message
    assert "CidrBlocks" in outcome.message
    assert watched.calls_to("create") == 0
    stalled = condition(made.store.unit("environment/test"), "Stalled")
    assert stalled[:2] == (True, "LintFailed")
    assert applied.report.outcomes["service/orders/test"].kind == "blocked"


def test_missing_credentials_stall_nothing_and_the_next_apply_with_them_deploys(
    cycle: Harness, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The ambient chain finds nothing: no variables, no files, no instance metadata.
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    anonymous = AwsCloud(CloudSettings(endpoint_url=cycle.cloud.settings.endpoint_url))

    first = cycle.engine(anonymous).apply(cycle.snapshot())

    outcome = first.report.outcomes["environment/test"]
    assert (outcome.kind, outcome.reason) == ("retrying", "Unauthorized")
    assert "NoCredentialsError" in outcome.message
    assert condition(cycle.store.unit("environment/test"), "Stalled")[0] is False
    second = cycle.apply()  # credentials fixed: no new commit is needed
    assert second.report.ok, second.report.outcomes
    assert "goldenpath-environment-test" in cycle.aws.stacks(cycle.accounts.test)
