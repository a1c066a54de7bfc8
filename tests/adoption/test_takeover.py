"""The tutorial, taken over: Proton's chapter-1 estate imported, adopted, then updated.

End to end, as a team would do it with the command line: ``goldenpath import`` writes a
platform repo from the estate, ``plan`` shows every unit as "adopt, no changes",
``apply`` sends no create, update or delete (the emulator counts the calls) and every
stack keeps its id. Chapter 2's template change (version 1.1) then reaches the very same
``AWSProton-*`` stacks as updates, keeping Proton's tags beside Goldenpath's.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from emulator.server import EmbeddedEmulator
from tests.adoption.cli import accounts_file, run_import
from tests.adoption.conftest import fresh_tutorial_accounts
from tests.engine.aws import Aws
from tests.engine.cli import Ran, goldenpath
from tests.support import proton_estate as tutorial
from tests.support.tutorial import chapter_two_edit

pytestmark = [pytest.mark.corpus, pytest.mark.slow]

WRITES = {"CreateStack", "UpdateStack", "DeleteStack", "ExecuteChangeSet"}
TEMPLATES = {
    "infrastructure": "templates/vpc-ecscluster-env/v1/infrastructure/cloudformation.yaml",
    "instance_infrastructure": (
        "templates/lb-fargate-svc/v1/instance_infrastructure/cloudformation.yaml"
    ),
    "pipeline_infrastructure": (
        "templates/lb-fargate-svc/v1/pipeline_infrastructure/cloudformation.yaml"
    ),
}


def _cli(url: str, state: Path, *args: str) -> Ran:
    return goldenpath(
        *args,
        "--cloud",
        "embedded",
        "--aws-endpoint-url",
        url,
        "--state",
        f"sqlite:///{state}",
        "--output",
        "json",
    )


def _calls(url: str) -> dict[str, int]:
    found: dict[str, int] = httpx.get(f"{url}/_goldenpath/calls").json()["calls"]
    return found


def _git(repo: Path, *args: str) -> str:
    import subprocess

    done = subprocess.run(
        ["git", "-c", "user.name=anna", "-c", "user.email=anna@example.com", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@pytest.fixture
def imported(
    embedded: EmbeddedEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[tutorial.TutorialEstate, Path]:
    """A fresh chapter-1 estate (apply changes it) and the repo ``import`` wrote from it."""
    estate = tutorial.chapter1_estate(embedded.url, tmp_path / "estate", fresh_tutorial_accounts())
    out = tmp_path / "platform"
    code, document = run_import(
        capsys,
        embedded.url,
        accounts=accounts_file(tmp_path / "accounts.yaml", estate.accounts.all()),
        templates=estate.templates,
        out=out,
        specs=estate.spec_files,
    )
    assert code == 0, document
    return estate, out


def test_the_tutorial_estate_is_adopted_with_no_write_and_updated_in_place(
    imported: tuple[tutorial.TutorialEstate, Path], embedded: EmbeddedEmulator, tmp_path: Path
) -> None:
    estate, repo = imported
    url, state = embedded.url, tmp_path / "state.db"
    aws = Aws(url)

    planned = _cli(url, state, "plan", str(repo))
    assert planned.code == 2, planned.stderr
    plan = json.loads(planned.stdout)
    assert {u["id"]: (u["action"], u["reason"]) for u in plan["units"]} == {
        unit: ("adopt", "adopt, no changes") for unit in tutorial.UNITS
    }

    httpx.delete(f"{url}/_goldenpath/calls").raise_for_status()
    applied = _cli(url, state, "apply", str(repo), "--yes")
    assert applied.code == 0, applied.stdout + applied.stderr
    assert {u["reason"] for u in json.loads(applied.stdout)["units"]} == {"Adopted"}
    assert not WRITES & set(_calls(url)), _calls(url)
    for made in estate.stacks.values():
        assert aws.stacks(made.account)[made.stack_name]["StackId"] == made.stack_id

    again = _cli(url, state, "plan", str(repo))
    assert again.code == 0, again.stdout
    assert {u["action"] for u in json.loads(again.stdout)["units"]} == {"noop"}

    # Chapter 2: the admin's template changes (1.1), and the specs move to 1.1.
    for kind, path in TEMPLATES.items():
        target = repo / path
        target.write_text(chapter_two_edit(kind, target.read_text()))
    # Chapter 2 sets TaskRoleArn: !Ref ECSTaskRole, which CloudFormation accepts and
    # cfn-lint flags as E1041 (tests/support/tutorial.py's platform says the same).
    platform = repo / "goldenpath.yaml"
    platform.write_text(platform.read_text() + "  lint:\n    ignore_checks: [E1041]\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "Chapter 2: flow logs, approval before production, exec")
    for spec in [*repo.glob("environments/*.yaml"), *repo.glob("services/*.yaml")]:
        spec.write_text(re.sub(r"version: ['\"]?1\.0['\"]?", "version: '1.1'", spec.read_text()))
    _git(repo, "commit", "-q", "-am", "Move every unit to 1.1")

    planned = _cli(url, state, "plan", str(repo))
    assert planned.code == 2, planned.stderr
    moves = {u["id"]: (u["action"], u["from_version"], u["to_version"]) for u in
             json.loads(planned.stdout)["units"]}  # fmt: skip
    assert moves == {unit: ("update", "1.0", "1.1") for unit in tutorial.UNITS}

    httpx.delete(f"{url}/_goldenpath/calls").raise_for_status()
    applied = _cli(url, state, "apply", str(repo), "--yes")
    assert applied.code == 0, applied.stdout + applied.stderr
    assert _calls(url).get("UpdateStack") == len(tutorial.UNITS)
    assert "CreateStack" not in _calls(url)
    for unit_id, made in estate.stacks.items():
        live = aws.stacks(made.account)[made.stack_name]
        assert live["StackId"] == made.stack_id
        assert live["StackStatus"] == "UPDATE_COMPLETE"
        tags = {t["Key"]: t["Value"] for t in live["Tags"]}
        assert tags["goldenpath:unit"] == unit_id
        assert tags["goldenpath:template"].endswith(":1.1")
        assert any(k.startswith("proton:") for k in tags), tags
        assert not any(k.startswith("aws:") for k in tags)
    env = aws.template(
        estate.stacks[tutorial.UNITS[0]].account, estate.stacks[tutorial.UNITS[0]].stack_name
    )
    assert "FlowLog" in env
