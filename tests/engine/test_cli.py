"""``goldenpath plan`` as scripts see it: the JSON document and the exit codes."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.engine.cli import goldenpath, on_emulator
from tests.engine.conftest import Build, Harness
from tests.engine.platforms import cycle_platform, set_inputs

MakeHarness = Callable[[Build], Harness]
SUMMARY_KEYS = {"create", "adopt", "update", "delete", "noop", "blocked", "denied"}
UNIT_KEYS = {"id", "action", "reason", "from_version", "to_version", "changes"}
CHANGE_KEYS = {"logical_id", "type", "action", "replacement"}


@pytest.fixture
def cycle(harness: MakeHarness) -> Harness:
    return harness(cycle_platform)


def options(made: Harness) -> tuple[str, ...]:
    return on_emulator(made.aws.url, made.store.url)


def test_a_plan_with_changes_exits_2_with_the_documented_json(cycle: Harness) -> None:
    ran = goldenpath("plan", str(cycle.repo.root), "--output", "json", *options(cycle))

    assert ran.code == 2, ran.stderr
    document = ran.json()
    assert document["revision"] == cycle.repo.git("rev-parse", "HEAD")
    assert set(document["summary"]) == SUMMARY_KEYS
    assert document["summary"]["create"] == 6
    assert {u["id"] for u in document["units"]} == {
        "environment/test",
        "environment/production",
        "service/orders/test",
        "service/orders/production",
        "service/web/test",
        "pipeline/orders",
    }
    for unit in document["units"]:
        assert set(unit) >= UNIT_KEYS
        assert (unit["action"], unit["from_version"], unit["to_version"]) == ("create", None, "1.0")


def test_a_plan_without_changes_exits_0(cycle: Harness) -> None:
    assert cycle.apply().report.ok

    ran = goldenpath("plan", str(cycle.repo.root), "--output", "json", *options(cycle))

    assert ran.code == 0, ran.stderr
    assert ran.json()["summary"] == {**dict.fromkeys(SUMMARY_KEYS, 0), "noop": 6}


def test_a_plan_of_a_broken_repo_exits_1_and_names_the_file(cycle: Harness) -> None:
    spec = cycle.repo.root / "services/web.yaml"
    spec.write_text(spec.read_text().replace("environment: test", "environment: nowhere"))
    cycle.repo.commit("web points at an environment that does not exist")

    ran = goldenpath("plan", str(cycle.repo.root), "--output", "json", *options(cycle))

    assert ran.code == 1, ran.stderr
    errors = ran.json()["errors"]
    assert any(e["file"] == "services/web.yaml" and "nowhere" in e["message"] for e in errors)


def test_a_plan_of_an_unknown_revision_exits_1(cycle: Harness) -> None:
    ran = goldenpath(
        "plan", str(cycle.repo.root), "--ref", "no-such-branch", "--output", "json", *options(cycle)
    )

    assert ran.code == 1
    assert "no-such-branch" in ran.json()["error"]


def test_an_update_plan_shows_resource_changes_and_leaves_no_change_set(cycle: Harness) -> None:
    assert cycle.apply().report.ok
    set_inputs(cycle.repo, "orders", "production", "{dead_letter: true, size: 4}")
    cycle.repo.commit("orders in production: a dead-letter queue")

    ran = goldenpath("plan", str(cycle.repo.root), "--output", "json", *options(cycle))

    assert ran.code == 2, ran.stderr
    (unit,) = [u for u in ran.json()["units"] if u["action"] != "noop"]
    assert unit["id"] == "service/orders/production" and unit["action"] == "update"
    changes = {c["logical_id"]: c for c in unit["changes"]}
    assert all(set(c) == CHANGE_KEYS for c in changes.values())
    assert changes["DeadLetter"]["action"] == "Add"
    assert changes["Queue"]["action"] == "Modify"
    cfn = cycle.aws.client("cloudformation", cycle.accounts.production)
    listed = cfn.list_change_sets(StackName="goldenpath-service-orders-production")
    assert listed["Summaries"] == []


def test_plan_refresh_finds_a_stack_deleted_outside_goldenpath(cycle: Harness) -> None:
    assert cycle.apply().report.ok
    cfn = cycle.aws.client("cloudformation", cycle.accounts.test)
    cfn.delete_stack(StackName="goldenpath-service-web-test")
    cfn.get_waiter("stack_delete_complete").wait(
        StackName="goldenpath-service-web-test", WaiterConfig={"Delay": 1}
    )

    recorded = goldenpath("plan", str(cycle.repo.root), "--output", "json", *options(cycle))
    live = goldenpath(
        "plan", str(cycle.repo.root), "--refresh", "--output", "json", *options(cycle)
    )

    assert recorded.code == 0, recorded.stderr
    assert live.code == 2, live.stderr
    web = next(u for u in live.json()["units"] if u["id"] == "service/web/test")
    assert web["action"] == "create"
    assert "deleted outside Goldenpath" in web["reason"]


def test_plan_refresh_describes_each_account_once(cycle: Harness) -> None:
    assert cycle.apply().report.ok
    before = cycle.cloud.api_calls()

    planned = cycle.plan(refresh=True)

    calls = {k: v - before.get(k, 0) for k, v in cycle.cloud.api_calls().items()}
    assert {k: v for k, v in calls.items() if v} == {"cloudformation:DescribeStacks": 3}
    assert not planned.plan.has_changes


def test_plan_refresh_finds_a_stack_changed_outside_goldenpath(cycle: Harness) -> None:
    assert cycle.apply().report.ok
    cfn = cycle.aws.client("cloudformation", cycle.accounts.test)
    body = cycle.aws.template(cycle.accounts.test, "goldenpath-environment-test")
    cfn.update_stack(
        StackName="goldenpath-environment-test",
        TemplateBody=body.replace("Description: Environment test", "Description: by hand"),
    )
    cfn.get_waiter("stack_update_complete").wait(
        StackName="goldenpath-environment-test", WaiterConfig={"Delay": 1}
    )

    planned = cycle.plan(refresh=True).plan

    environment = planned.of("environment/test")
    assert environment is not None and environment.action == "update"
    assert "changed outside Goldenpath" in environment.reason


def test_plan_refresh_on_the_command_line_names_the_outside_change(cycle: Harness) -> None:
    assert cycle.apply().report.ok
    cfn = cycle.aws.client("cloudformation", cycle.accounts.test)  # another client than ours
    body = cycle.aws.template(cycle.accounts.test, "goldenpath-environment-test")
    cfn.update_stack(
        StackName="goldenpath-environment-test",
        TemplateBody=body.replace("Description: Environment test", "Description: by hand"),
    )
    cfn.get_waiter("stack_update_complete").wait(
        StackName="goldenpath-environment-test", WaiterConfig={"Delay": 1}
    )

    recorded = goldenpath("plan", str(cycle.repo.root), "--output", "json", *options(cycle))
    live = goldenpath(
        "plan", str(cycle.repo.root), "--refresh", "--output", "json", *options(cycle)
    )

    assert recorded.code == 0, recorded.stderr
    assert live.code == 2, live.stderr
    changed = [u for u in live.json()["units"] if u["action"] != "noop"]
    assert [(u["id"], u["action"]) for u in changed] == [("environment/test", "update")]
    assert changed[0]["reason"] == "the stack was changed outside Goldenpath"
