"""``goldenpath validate`` accepts the example repo, and refuses it once a spec that breaks
one of Pizza&Ananas' rules is added.

The specs that must fail live in ``must_fail/``. Each one's first line says what the error
must say (``# must fail: <text>``). A test adds the spec to a copy of the example as
``services/<file name>``, and validate must report that one error, in that file, at a line.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from goldenpath.cli import main
from tests.conftest import EXAMPLE_REPO
from tests.example.conftest import environment_unit_ids, instance_unit_ids, pipeline_unit_ids

MUST_FAIL = Path(__file__).parent / "must_fail"
EXPECTATION = "# must fail: "


def validate(
    repo: Path, state: Path, capsys: pytest.CaptureFixture[str], *options: str
) -> tuple[int, dict[str, Any]]:
    code = main(
        ["validate", str(repo), "--state", f"sqlite:///{state}", "--output", "json", *options]
    )
    return code, json.loads(capsys.readouterr().out)


def expected_error(spec: Path) -> str:
    first = spec.read_text().splitlines()[0]
    assert first.startswith(EXPECTATION), f"{spec.name} must start with '{EXPECTATION}…'"
    return first.removeprefix(EXPECTATION)


def test_goldenpath_validate_accepts_the_example(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, result = validate(EXAMPLE_REPO, tmp_path / "state.db", capsys)

    assert (code, result["errors"], result["warnings"]) == (0, [], [])
    assert {unit["id"] for unit in result["units"]} == {
        *environment_unit_ids(),
        *instance_unit_ids(),
        *pipeline_unit_ids(),
    }


@pytest.mark.parametrize("spec", sorted(MUST_FAIL.glob("*.yaml")), ids=lambda p: p.stem)
def test_a_spec_that_breaks_a_platform_rule_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], spec: Path
) -> None:
    repo = tmp_path / "platform"
    shutil.copytree(EXAMPLE_REPO, repo)
    shutil.copy(spec, repo / "services" / spec.name)

    code, result = validate(repo, tmp_path / "state.db", capsys, "--no-lint")

    assert code == 1
    [error] = result["errors"]
    assert error["file"] == f"services/{spec.name}"
    assert error["line"] is not None
    assert expected_error(spec) in error["message"]
