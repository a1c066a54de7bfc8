"""The Proton tutorial end to end on the emulator: chapter 1 deploys, chapter 2 updates.

Chapter 1 deploys two environments (each in its own account), my-webapp's two instances
and its pipeline. Chapter 2's commits make version 1.1 of both templates: the
environments follow under ``automatic``; the instances, on ``manual``, show outdated
until their spec moves to 1.1, and then they update.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.render import Linter
from tests.engine.conftest import Build, Harness
from tests.engine.platforms import Accounts
from tests.engine.test_updates import status
from tests.support import tutorial
from tests.support.platform_repo import PlatformRepo

pytestmark = [pytest.mark.corpus, pytest.mark.slow]
MakeHarness = Callable[[Build], Harness]
ENVIRONMENTS = ("environment/VPC-ECSCluster-Env-Test", "environment/VPC-ECSCluster-Env-Production")
WEBAPP = (
    "service/my-webapp/frontend-test",
    "service/my-webapp/frontend-production",
    "pipeline/my-webapp",
)


def chapter1_in_own_accounts(root: Path, accounts: Accounts) -> PlatformRepo:
    """Chapter 1, its account ids swapped for this test's own (the emulator is shared)."""
    repo = tutorial.chapter1(root)
    swaps = {
        tutorial.TEST_ACCOUNT: accounts.test,
        tutorial.PRODUCTION_ACCOUNT: accounts.production,
        tutorial.PIPELINE_ACCOUNT: accounts.pipelines,
    }
    for path in [repo.root / "goldenpath.yaml", *sorted((repo.root / "environments").iterdir())]:
        text = path.read_text()
        for old, new in swaps.items():
            text = text.replace(old, new)
        path.write_text(text)
    repo.commit("This test's own accounts")
    return repo


def units_of(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {u["id"]: u for u in document["units"]}


def test_the_tutorial_deploys_then_follows_chapter_2(harness: MakeHarness) -> None:
    made = harness(chapter1_in_own_accounts)
    made.linter = Linter()  # every stack passes the cfn-lint gate first, as in the CLI

    first = made.apply()

    assert first.report.ok, first.report.outcomes
    assert set(first.report.outcomes) == {*ENVIRONMENTS, *WEBAPP}
    assert set(made.aws.stacks(made.accounts.test)) == {
        "goldenpath-environment-VPC-ECSCluster-Env-Test",
        "goldenpath-service-my-webapp-frontend-test",
    }
    assert set(made.aws.stacks(made.accounts.production)) == {
        "goldenpath-environment-VPC-ECSCluster-Env-Production",
        "goldenpath-service-my-webapp-frontend-production",
    }
    assert set(made.aws.stacks(made.accounts.pipelines)) == {"goldenpath-pipeline-my-webapp"}

    tutorial.chapter2(made.repo)
    second = made.apply()

    assert second.report.ok, second.report.outcomes
    document = status(made)
    units = units_of(document)
    for unit_id in ENVIRONMENTS:
        assert (units[unit_id]["version"], units[unit_id]["outdated"]) == ("1.1", False)
    for unit_id in WEBAPP:
        assert units[unit_id]["version"] == "1.0"
        assert (units[unit_id]["recommended_version"], units[unit_id]["outdated"]) == ("1.1", True)
    assert "VPCFlowLog" in made.aws.template(
        made.accounts.production, "goldenpath-environment-VPC-ECSCluster-Env-Production"
    )
    rollouts = {r["template"]: r["status"] for r in document["rollouts"]}
    assert rollouts == {"vpc-ecscluster-env": "complete"}

    tutorial.write_webapp(made.repo, version="1.1")
    made.repo.commit("my-webapp moves to lb-fargate-svc 1.1")
    third = made.apply()

    assert third.report.ok, third.report.outcomes
    assert {third.report.outcomes[u].kind for u in WEBAPP} == {"applied"}
    units = units_of(status(made))
    for unit_id in WEBAPP:
        assert (units[unit_id]["version"], units[unit_id]["outdated"]) == ("1.1", False)
    assert "ECSTaskRole" in made.aws.template(
        made.accounts.test, "goldenpath-service-my-webapp-frontend-test"
    )
    assert "Preproduction_Approval" in made.aws.template(
        made.accounts.pipelines, "goldenpath-pipeline-my-webapp"
    )
