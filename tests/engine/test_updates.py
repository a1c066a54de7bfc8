"""Template updates: automatic minor updates roll out in waves; manual ones show outdated."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reconciler.apply.roles import ROLES
from tests.engine.conftest import Build, Harness
from tests.engine.platforms import (
    Accounts,
    bump_service_template,
    three_environments,
    write_service,
)
from tests.support.platform_repo import PlatformRepo

MakeHarness = Callable[[Build], Harness]
WEB = ("service/web/test", "service/web/staging", "service/web/production")


def automatic(root: Path, accounts: Accounts) -> PlatformRepo:
    return three_environments(root, accounts, svc_updates="automatic")


def status(made: Harness) -> dict[str, Any]:
    """``goldenpath status --output json`` on the harness's state store, in a subprocess."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "goldenpath.cli",
            "status",
            "--output",
            "json",
            "--state",
            made.store.url,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    document: dict[str, Any] = json.loads(done.stdout)
    return document


def versions(made: Harness) -> dict[str, str]:
    return {r.id: r.version for r in made.store.units() if r.id in WEB}


def has_audit_topic(made: Harness, environment: str) -> bool:
    account = made.accounts.of(environment)
    return "Audit" in made.aws.template(account, f"goldenpath-service-web-{environment}")


def test_an_automatic_minor_update_moves_wave_by_wave_to_the_end(harness: MakeHarness) -> None:
    made = harness(automatic)
    assert made.apply().report.ok
    bump_service_template(made.repo)

    applied = made.apply()

    assert applied.report.ok, applied.report.outcomes
    assert versions(made) == dict.fromkeys(WEB, "1.1")
    starts = {u: made.store.history(u)[0].started_at for u in WEB}
    ends = {u: made.store.history(u)[0].finished_at for u in WEB}
    assert ends["service/web/test"] <= starts["service/web/staging"]  # type: ignore[operator]
    assert ends["service/web/staging"] <= starts["service/web/production"]  # type: ignore[operator]
    (rollout,) = status(made)["rollouts"]
    assert rollout["status"] == "complete"
    assert rollout["to_version"] == "1.1"


def test_a_rollout_halts_at_its_first_failed_wave(harness: MakeHarness) -> None:
    made = harness(automatic)
    assert made.apply().report.ok
    bump_service_template(made.repo)
    made.aws.add_fault(
        {
            "kind": "fail",
            "operation": "update",
            "stackName": "goldenpath-service-web-staging",
            "account": made.accounts.staging,
            "resourceType": "AWS::SNS::Topic",
            "message": "topic quota exceeded",
        }
    )

    applied = made.apply()

    assert not applied.report.ok
    assert applied.report.outcomes["service/web/staging"].kind == "failed"
    assert versions(made) == {
        "service/web/test": "1.1",
        "service/web/staging": "1.0",
        "service/web/production": "1.0",
    }
    assert has_audit_topic(made, "test")
    assert made.stack("service/web/staging")["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert not has_audit_topic(made, "staging")
    assert not has_audit_topic(made, "production")
    assert [d.status for d in made.store.history("service/web/production")] == ["SUCCEEDED"]
    (rollout,) = status(made)["rollouts"]
    assert rollout["status"] == "halted"
    assert [(w["environments"], w["status"]) for w in rollout["waves"]] == [
        (["test"], "succeeded"),
        (["staging"], "failed"),
        (["production"], "pending"),
    ]
    assert "staging" in rollout["message"]


def test_a_halted_rollout_stays_halted_on_the_next_apply(harness: MakeHarness) -> None:
    made = harness(automatic)
    assert made.apply().report.ok
    bump_service_template(made.repo)
    made.aws.add_fault(
        {
            "kind": "fail",
            "operation": "update",
            "stackName": "goldenpath-service-web-staging",
            "account": made.accounts.staging,
            "count": 1,
        }
    )
    made.apply()
    calls = made.cloud.api_calls()

    again = made.apply()

    assert made.cloud.api_calls() == calls
    assert versions(made)["service/web/production"] == "1.0"
    document = status(made)
    staging = next(u for u in document["units"] if u["id"] == "service/web/staging")
    stalled = next(c for c in staging["conditions"] if c["type"] == "Stalled")
    assert stalled["status"] is True
    (rollout,) = document["rollouts"]
    assert rollout["status"] == "halted"
    assert again.report.outcomes["service/web/production"].kind == "unchanged"


def test_a_newer_minor_rolls_out_past_the_wave_the_last_one_failed(harness: MakeHarness) -> None:
    made = harness(automatic)
    assert made.apply().report.ok
    bump_service_template(made.repo, "Audit")
    made.aws.add_fault(
        {
            "kind": "fail",
            "operation": "update",
            "stackName": "goldenpath-service-web-staging",
            "account": made.accounts.staging,
            "count": 1,
        }
    )
    assert not made.apply().report.ok
    bump_service_template(made.repo, "Fixed")

    applied = made.apply()

    assert applied.report.ok, applied.report.outcomes
    assert versions(made) == dict.fromkeys(WEB, "1.2")
    rollouts = {r["to_version"]: r["status"] for r in status(made)["rollouts"]}
    assert rollouts == {"1.1": "halted", "1.2": "complete"}


def test_a_manual_unit_shows_outdated_until_its_spec_moves(harness: MakeHarness) -> None:
    made = harness(three_environments)
    assert made.apply().report.ok
    bump_service_template(made.repo)
    calls = made.cloud.api_calls()

    applied = made.apply()

    assert made.cloud.api_calls() == calls
    assert {o.kind for o in applied.report.outcomes.values()} == {"unchanged"}
    units = {u["id"]: u for u in status(made)["units"]}
    for unit_id in WEB:
        assert (units[unit_id]["version"], units[unit_id]["recommended_version"]) == ("1.0", "1.1")
        assert units[unit_id]["outdated"] is True
    assert units["environment/test"]["outdated"] is False

    spec = made.repo.root / "services/web.yaml"
    spec.write_text(spec.read_text().replace('version: "1"', 'version: "1.1"'))
    made.repo.commit("web moves to svc 1.1")
    moved = made.apply()

    assert moved.report.ok
    assert {moved.report.outcomes[u].kind for u in WEB} == {"applied"}
    units = {u["id"]: u for u in status(made)["units"]}
    for unit_id in WEB:
        assert (units[unit_id]["version"], units[unit_id]["outdated"]) == ("1.1", False)
    assert all(has_audit_topic(made, env) for env in ("test", "staging", "production"))


def test_a_failure_elsewhere_does_not_hold_a_rollout_back(harness: MakeHarness) -> None:
    made = harness(automatic)
    assert made.apply().report.ok
    write_service(made.repo, "api", {"test": "test"})
    made.repo.commit("api in test")
    bump_service_template(made.repo)
    made.aws.add_fault(
        {
            "kind": "fail",
            "operation": "create",
            "stackName": "goldenpath-service-api-test",
            "account": made.accounts.test,
        }
    )

    applied = made.apply()

    assert applied.report.outcomes["service/api/test"].kind == "failed"
    assert versions(made) == dict.fromkeys(WEB, "1.1")
    rollouts = {r["to_version"]: r["status"] for r in status(made)["rollouts"]}
    assert rollouts == {"1.1": "complete"}


def test_a_plan_of_another_ref_leaves_outdated_and_remembered_roles_alone(
    harness: MakeHarness,
) -> None:
    made = harness(three_environments)
    assert made.apply().report.ok
    pipelines = made.accounts.pipelines
    roles = made.store.cache_get_many(ROLES, [pipelines])
    made.repo.git("checkout", "-q", "-b", "bump")
    platform = made.repo.root / "goldenpath.yaml"
    platform.write_text(platform.read_text().replace("role/goldenpath-deployer", "role/other"))
    bump_service_template(made.repo)
    made.repo.git("checkout", "-q", "main")

    made.engine().plan(made.snapshot("bump"))  # goldenpath plan --ref bump

    assert made.store.cache_get_many(ROLES, [pipelines]) == roles
    units = {u["id"]: u for u in status(made)["units"]}
    assert {(units[u]["recommended_version"], units[u]["outdated"]) for u in WEB} == {
        ("1.0", False)
    }

    made.repo.git("merge", "-q", "--ff-only", "bump")
    assert made.apply().report.ok  # applying the branch's head records both
    assert made.store.cache_get(ROLES, pipelines) == {
        "role_arn": f"arn:aws:iam::{pipelines}:role/other"
    }
    units = {u["id"]: u for u in status(made)["units"]}
    assert {(units[u]["recommended_version"], units[u]["outdated"]) for u in WEB} == {("1.1", True)}
