"""``goldenpath serve`` as a real process for the write-action tests.

It serves the engine tests' cycle platform (orders with a pipeline, web bound to orders,
in two accounts) from a local working tree, so a commit is applied within a second
(watchdog), against the in-process emulator, with the state store at ``state``. The test
process opens the same store to create tokens and to read what serve recorded.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from reconciler.actions import create_token
from reconciler.state import StateStore
from tests.e2e.world import free_port, wait_for
from tests.engine.aws import Aws
from tests.engine.cli import cli_environment
from tests.engine.conftest import Harness, emulator_cloud
from tests.engine.platforms import Accounts, cycle_platform

GOLDENPATH = str(Path(sys.executable).parent / "goldenpath")
UNITS = 6


@dataclass
class Served:
    """A running serve over the cycle platform, and the tokens of three scopes."""

    url: str
    cycle: Harness
    storefront: str
    payments: str
    admin: str
    log: Path

    def post(self, path: str, token: str | None = None, **kwargs: object) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        headers.update(kwargs.pop("headers", {}))  # type: ignore[arg-type]
        return httpx.post(f"{self.url}{path}", headers=headers, timeout=30, **kwargs)  # type: ignore[arg-type]


@contextmanager
def serving(
    tmp_path: Path,
    aws: Aws,
    accounts: Accounts,
    state: str,
    extra_env: dict[str, str] | None = None,
    before: object = None,
) -> Iterator[Served]:
    """serve the cycle platform; ``before(cycle)`` runs before serve starts (faults)."""
    repo = cycle_platform(tmp_path / "platform", accounts)
    store = StateStore.open(state)
    cycle = Harness(repo, store, emulator_cloud(aws.url), aws, accounts)
    if callable(before):
        before(cycle)
    tokens = {
        team: create_token(store, team=team, name=f"{team}-ci", created_by="anna")[0].text
        for team in ("storefront", "payments")
    }
    admin = create_token(store, team=None, name="ops", created_by="anna")[0].text
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    command = [
        GOLDENPATH, "serve", "--repo", str(repo.root), "--listen", f"127.0.0.1:{port}",
        "--interval", "3600", "--state", state, "--cloud", "embedded",
        "--aws-endpoint-url", aws.url, "--output", "json",
    ]  # fmt: skip
    environment = {**cli_environment(), **(extra_env or {})}
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=tmp_path, env=environment, stdout=out, stderr=out)
    try:
        wait_for(lambda: _healthy(url, process, log), "serve to listen")
        wait_for(lambda: store.seen_revision("main") is not None, "serve's first reconcile")
        assert len(store.units()) == UNITS
        yield Served(url, cycle, tokens["storefront"], tokens["payments"], admin, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        store.close()


def _healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> bool:
    if process.poll() is not None:
        raise AssertionError(f"serve exited {process.returncode}:\n{log.read_text()[-4000:]}")
    try:
        return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
