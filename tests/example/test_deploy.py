"""The example deploys, as it is, on the embedded emulator, and stays put afterwards.

The example is committed to a git repo of its own, then ``goldenpath apply``, ``plan`` and
``status`` run as a user runs them: as separate processes of the real CLI, each with
``--output json``. Apply and plan use ``--cloud embedded`` and share one SQLite state
file. Running them in subprocesses keeps the emulator's patches to moto out of this test
process.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

import git
import pytest

from tests.conftest import EXAMPLE_REPO
from tests.example.conftest import environment_unit_ids, instance_unit_ids, pipeline_unit_ids

pytestmark = pytest.mark.slow

CLI = "from goldenpath.cli import main; raise SystemExit(main())"
# Generous: the whole example applies in about ten seconds on a busy two-core machine.
COMMAND_TIMEOUT_SECONDS = 300


@dataclass(frozen=True)
class Run:
    code: int
    result: Any


@dataclass(frozen=True)
class Deployment:
    apply: Run
    plan: Run
    status: Run

    def outputs(self, unit_id: str) -> dict[str, str]:
        [unit] = [u for u in self.status.result["units"] if u["id"] == unit_id]
        return dict(unit["outputs"])


def goldenpath(*arguments: str) -> Run:
    completed = subprocess.run(
        [sys.executable, "-c", CLI, *arguments, "--output", "json"],
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_SECONDS,
        check=False,
    )
    try:
        result = json.loads(completed.stdout)
    except json.JSONDecodeError as exc:
        raise AssertionError(f"goldenpath {arguments[0]} printed no JSON:\n{completed}") from exc
    return Run(completed.returncode, result)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    root = tmp_path_factory.mktemp("deploy")
    repo = root / "platform"
    shutil.copytree(EXAMPLE_REPO, repo)
    files = [p.relative_to(repo).as_posix() for p in repo.rglob("*") if p.is_file()]
    committed = git.Repo.init(repo, initial_branch="main")
    committed.index.add(files)
    anna = git.Actor("anna", "anna@pizza-ananas.example")
    committed.index.commit("Pizza&Ananas platform", author=anna, committer=anna)
    state = ("--state", f"sqlite:///{root / 'state.db'}")
    return Deployment(
        apply=goldenpath("apply", str(repo), "--yes", "--cloud", "embedded", *state),
        plan=goldenpath("plan", str(repo), "--cloud", "embedded", *state),
        status=goldenpath("status", *state),
    )


def test_every_unit_of_the_example_is_created(deployment: Deployment) -> None:
    outcomes = {unit["id"]: unit["outcome"] for unit in deployment.apply.result["units"]}

    assert (deployment.apply.code, deployment.apply.result["ok"]) == (0, True)
    assert outcomes == {
        unit_id: "applied"
        for unit_id in (*environment_unit_ids(), *instance_unit_ids(), *pipeline_unit_ids())
    }


def test_a_plan_after_the_deploy_finds_nothing_to_do(deployment: Deployment) -> None:
    summary = deployment.plan.result["summary"]

    assert deployment.plan.code == 0
    assert summary["noop"] == len(deployment.apply.result["units"])
    assert sum(summary.values()) == summary["noop"]


def test_deployed_services_are_found_by_name_in_their_environment(
    deployment: Deployment,
) -> None:
    environment = deployment.outputs("environment/test")

    menu_api = deployment.outputs("service/menu-api/test")

    assert environment["NamespaceName"] == "test.pizza.internal"
    assert menu_api["Url"] == "http://menu-api.test.pizza.internal:8080"


def test_deployed_database_publishes_its_endpoint_and_secret(deployment: Deployment) -> None:
    database = deployment.outputs("service/orders-db/production")

    assert database["Port"] == "5432"
    assert database["Url"] == f"postgresql://{database['Host']}:5432/orders"
    assert database["SecretArn"].startswith("arn:aws:secretsmanager:us-west-2:333333333333:")
