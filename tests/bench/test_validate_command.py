"""``goldenpath validate`` with its pool and memo answers as a plain in-process validation."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import EXAMPLE_REPO
from tests.support.platform_repo import PlatformRepo, write_service

GOLDENPATH = str(Path(sys.executable).parent / "goldenpath")


def validate(repo: Path, state: Path, *extra: str) -> tuple[int, Any]:
    done = subprocess.run(
        [
            GOLDENPATH,
            "validate",
            str(repo),
            "--output",
            "json",
            "--state",
            f"sqlite:///{state}",
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done.returncode, json.loads(done.stdout)


def example(tmp_path: Path) -> PlatformRepo:
    repo = PlatformRepo(tmp_path / "repo")
    shutil.copytree(EXAMPLE_REPO, repo.root, dirs_exist_ok=True)
    repo.commit("the example")
    return repo


def test_linting_in_a_pool_finds_what_linting_in_process_finds(tmp_path: Path) -> None:
    repo = example(tmp_path)
    write_service(
        repo,
        "broken",
        template="s3-bucket",
        instances="- {name: test, environment: test, inputs: {versioning: true}}",
    )
    # The example's 20 units and one more: enough bodies for the pool to start.
    pooled = validate(repo.root, tmp_path / "pooled.db", "--lint-workers", "2")
    alone = validate(repo.root, tmp_path / "alone.db", "--lint-workers", "1")
    assert pooled == alone
    assert len(pooled[1]["units"]) == 21


def test_a_second_run_reuses_the_first_and_sees_a_change(tmp_path: Path) -> None:
    repo = example(tmp_path)
    state = tmp_path / "state.db"
    first = validate(repo.root, state, "--no-lint")
    assert first == validate(repo.root, state, "--no-lint")
    web = repo.root / "services/web.yaml"
    web.write_text(web.read_text().replace("environment: production", "environment: nowhere"))
    code, out = validate(repo.root, state, "--no-lint")
    assert code == 1
    assert any("environment 'nowhere' does not exist" in e["message"] for e in out["errors"])


def test_the_lint_pool_fills_the_cache_under_the_linters_keys() -> None:
    from goldenpath.workspace import LintPool
    from reconciler.render import Linter

    linter = Linter()
    bodies = [f"Resources:\n  T{i}: {{Type: 'AWS::SNS::Topic'}}\n" for i in range(3)]
    jobs = [(b, (), "us-east-1", "t.yaml") for b in [*bodies, bodies[0]]]
    with LintPool(2) as pool:
        assert pool.lint_ahead(linter, jobs) == 3  # the repeated body once
        assert pool.lint_ahead(linter, jobs) == 0  # all cached now
    runs = linter.runs
    for body in bodies:
        assert linter.lint(body, file="t.yaml", regions=("us-east-1",)).ok
    assert linter.runs == runs  # every answer came from the pool
