"""Two ``goldenpath apply`` processes on one PostgreSQL, at the same moment, same repo.

Leases keep them apart: each unit's stack is operated on by one of them only. The one
that finds a unit leased leaves it (and reports it for a retry); whatever it finds done
by the other since its plan, it does not do again.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy.engine import make_url

from reconciler.state import StateStore
from tests.conftest import POSTGRES_URL
from tests.engine.aws import Aws
from tests.engine.cli import CLI_TIMEOUT_S, cli_environment, goldenpath, goldenpath_command
from tests.engine.conftest import Harness, emulator_cloud
from tests.engine.platforms import Accounts, cycle_platform
from tests.engine.test_crash import assert_consistent, hold_stacks

pytestmark = pytest.mark.postgres


def _admin(database: str) -> str:
    url = make_url(POSTGRES_URL).set(drivername="postgresql", database=database)
    return url.render_as_string(hide_password=False)


@pytest.fixture
def postgres_state() -> Iterator[str]:
    """A fresh database of this test's own, as a ``--state`` URL; dropped afterwards."""
    name = f"goldenpath_engine_{uuid.uuid4().hex[:12]}"
    base = make_url(POSTGRES_URL).database or "postgres"
    with psycopg.connect(_admin(base), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(_admin(base), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def shared(tmp_path: Path, aws: Aws, accounts: Accounts, postgres_state: str) -> Iterator[Harness]:
    repo = cycle_platform(tmp_path / "platform", accounts)
    store = StateStore.open(postgres_state)
    yield Harness(repo, store, emulator_cloud(aws.url), aws, accounts)
    store.close()


def apply_both(made: Harness) -> list[dict[str, Any]]:
    """Start two applies at once; what each reported."""
    command = goldenpath_command(
        "apply",
        str(made.repo.root),
        "--yes",
        "--output",
        "json",
        "--cloud",
        "embedded",
        "--aws-endpoint-url",
        made.aws.url,
        "--state",
        made.store.url,
    )
    processes = [
        subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=cli_environment(),
        )
        for _ in range(2)
    ]
    reports = []
    for process in processes:
        out, _err = process.communicate(timeout=CLI_TIMEOUT_S)
        assert process.returncode in (0, 1), out
        reports.append(json.loads(out))
    return reports


@pytest.mark.slow
def test_two_applies_at_once_operate_on_each_stack_once(shared: Harness) -> None:
    hold_stacks(shared)

    reports = apply_both(shared)

    outcomes = [{u["id"]: u["reason"] for u in report["units"]} for report in reports]
    # They did overlap: at least one found a unit the other was working on.
    assert any("LeaseHeld" in found.values() for found in outcomes), outcomes
    for record in shared.store.units():
        operations = shared.store.operations(record.id)
        assert [(op.intent.action, op.state) for op in operations] in (
            [("create", "done")],
            [],  # left to the next run: the loser saw it leased and moved on
        ), f"{record.id}: {operations}"
    again = goldenpath(
        "apply",
        str(shared.repo.root),
        "--yes",
        "--output",
        "json",
        "--cloud",
        "embedded",
        "--aws-endpoint-url",
        shared.aws.url,
        "--state",
        shared.store.url,
    )
    assert again.code == 0, again.stdout
    assert_consistent(shared)
    for record in shared.store.units():
        assert [op.intent.action for op in shared.store.operations(record.id)] == ["create"]
    assert shared.store.leases() == []
