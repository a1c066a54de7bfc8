"""The no-op mark: a plan or apply with nothing to do skips all work, and only then."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bench.plan_noop import seed
from goldenpath.noop_mark import NOOP_RUNS, noop_key
from goldenpath.revisions import revision_of
from reconciler.state import OperationIntent, StateStore
from reconciler.state.units import Condition
from tests.support.platform_repo import PlatformRepo, small_platform, write_service

# Runs the command in a fresh interpreter and reports which heavy modules it imported.
PROBE = """
import contextlib, io, json, sys
import goldenpath.cli
out = io.StringIO()
with contextlib.redirect_stdout(out):
    code = goldenpath.cli.main(sys.argv[1:])
heavy = ("boto3", "botocore", "cfnlint", "moto", "fastapi", "jinja2", "sqlalchemy", "structlog",
         "dataclasses")
print(json.dumps({"code": code, "out": out.getvalue(),
                  "imported": [m for m in heavy if m in sys.modules]}))
"""


def goldenpath(*args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


@pytest.fixture
def seeded(tmp_path: Path) -> tuple[PlatformRepo, str]:
    repo = small_platform(tmp_path / "repo")
    url = f"sqlite:///{tmp_path / 'state.db'}"
    seed(repo.root, url)
    return repo, url


def plan(repo: PlatformRepo, url: str, *extra: str) -> dict[str, Any]:
    return goldenpath("plan", str(repo.root), "--output", "json", "--state", url, *extra)


def test_a_second_no_op_plan_says_the_same_without_importing_the_engine(
    seeded: tuple[PlatformRepo, str],
) -> None:
    repo, url = seeded
    first = plan(repo, url)
    assert first["code"] == 0 and "jinja2" in first["imported"]
    again = plan(repo, url)
    assert again["code"] == 0
    assert again["imported"] == []  # not even SQLAlchemy, structlog or dataclasses
    assert json.loads(again["out"]) == json.loads(first["out"])
    assert {u["action"] for u in json.loads(again["out"])["units"]} == {"noop"}


def test_a_new_commit_is_planned_again(seeded: tuple[PlatformRepo, str]) -> None:
    repo, url = seeded
    plan(repo, url)
    write_service(repo, "web", instances="- {name: test, environment: test, inputs: {size: 7}}")
    repo.commit("web: bigger")
    after = plan(repo, url)
    assert after["code"] == 2
    actions = {u["id"]: u["action"] for u in json.loads(after["out"])["units"]}
    assert actions["service/web/test"] == "update"


def test_a_change_to_the_recorded_state_is_planned_again(
    seeded: tuple[PlatformRepo, str],
) -> None:
    repo, url = seeded
    plan(repo, url)
    with StateStore.open(url) as store:
        record = store.unit("service/web/test")
        assert record is not None
        store.save_units([record.with_applied("other", "f" * 64, {}, datetime.now(UTC))])
    after = plan(repo, url)
    assert after["code"] == 2 and "jinja2" in after["imported"]


def test_nothing_is_marked_or_skipped_while_an_operation_is_in_flight(
    seeded: tuple[PlatformRepo, str],
) -> None:
    repo, url = seeded
    with StateStore.open(url) as store:
        store.begin_operation(
            OperationIntent(
                "service/web/test",
                "update",
                "goldenpath-service-web-test",
                "111111111111",
                "us-west-2",
                "rev",
                "f" * 64,
            )
        )
        revision = revision_of(str(repo.root), "HEAD")
        assert noop_key(revision, store, url) is None
    plan(repo, url)
    with StateStore.open(url) as store:
        assert store.cache_get_many(NOOP_RUNS, [noop_key(revision, store, url) or "-"]) == {}


def test_a_stalled_unit_is_never_skipped(seeded: tuple[PlatformRepo, str]) -> None:
    repo, url = seeded
    with StateStore.open(url) as store:
        record = store.unit("service/web/test")
        assert record is not None
        now = datetime.now(UTC)
        store.save_units([record.with_condition(Condition("Stalled", True, "Failed", "x", now))])
        assert noop_key(revision_of(str(repo.root), "HEAD"), store, url) is None


def test_refresh_never_uses_a_mark(seeded: tuple[PlatformRepo, str]) -> None:
    repo, url = seeded
    plan(repo, url)
    # The refresh asks a cloud that is not there: it must try, and fail.
    refreshed = plan(
        repo, url, "--refresh", "--cloud", "aws", "--aws-endpoint-url", "http://127.0.0.1:9"
    )
    assert refreshed["code"] == 1


def test_a_plan_of_a_folder_that_is_not_a_repository_says_so(tmp_path: Path) -> None:
    result = goldenpath(
        "plan", str(tmp_path), "--output", "json", "--state", f"sqlite:///{tmp_path / 's.db'}"
    )
    assert result["code"] == 1
    assert "not a git repository" in json.loads(result["out"])["error"]


def test_the_raw_reader_knows_the_state_store_schema_table() -> None:
    from goldenpath.noop_mark import SCHEMA_TABLE
    from reconciler.state.migrate import VERSION_TABLE

    assert SCHEMA_TABLE == VERSION_TABLE


def test_apply_with_nothing_to_do_skips_the_cloud_after_a_mark(
    seeded: tuple[PlatformRepo, str],
) -> None:
    repo, url = seeded
    plan(repo, url)  # the plan leaves the mark
    applied = goldenpath(
        "apply",
        str(repo.root),
        "--yes",
        "--output",
        "json",
        "--state",
        url,
        "--cloud",
        "aws",
        "--aws-endpoint-url",
        "http://127.0.0.1:9",
    )
    assert applied["code"] == 0 and applied["imported"] == []
    out = json.loads(applied["out"])
    assert out["ok"] is True and {u["outcome"] for u in out["units"]} == {"unchanged"}
