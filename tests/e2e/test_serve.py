"""`goldenpath serve` on a local working tree: watchdog, skipping unchanged heads, SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.e2e.world import GOLDENPATH, free_port, wait_for
from tests.support.platform_repo import GIT_ENV, PlatformRepo, small_platform, write_service

pytestmark = pytest.mark.slow
# How long serve is left alone before a test says it did nothing.
IDLE_S = 2.5


@dataclass
class Served:
    repo: PlatformRepo
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    http: httpx.Client

    def history(self, unit: str) -> list[dict[str, object]]:
        if self.process.poll() is not None:
            raise AssertionError(f"serve exited: {self.log.read_text()[-3000:]}")
        try:
            found = self.http.get(f"{self.url}/api/v1/units/{unit}/history")
        except httpx.HTTPError:
            return []  # not listening yet
        return list(found.json()["deployments"]) if found.status_code == 200 else []

    def events(self, name: str) -> list[dict[str, object]]:
        lines = [
            json.loads(line) for line in self.log.read_text().splitlines() if line.startswith("{")
        ]
        return [e for e in lines if e.get("event") == name]


@pytest.fixture
def served(tmp_path: Path, fresh_cloud: str) -> Iterator[Served]:
    repo = small_platform(tmp_path / "repo")
    port = free_port()
    log = tmp_path / "serve.log"
    command = [
        GOLDENPATH,
        "serve",
        "--repo",
        str(repo.root),
        "--listen",
        f"127.0.0.1:{port}",
        "--interval",
        "3600",
        "--state",
        f"sqlite:///{tmp_path / 'state.db'}",
        "--cloud",
        "embedded",
        "--aws-endpoint-url",
        fresh_cloud,
        "--output",
        "json",
        "--verbose",
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOLDENPATH_")}
    with open(log, "wb") as out:
        process = subprocess.Popen(
            command, cwd=tmp_path, env={**env, **GIT_ENV}, stdout=out, stderr=out
        )
    http = httpx.Client(timeout=10.0)
    url = f"http://127.0.0.1:{port}"
    try:
        served = Served(repo, url, process, log, http)
        wait_for(lambda: served.history("service/web/test"), "the first apply")
        yield served
    finally:
        if process.poll() is None:
            process.kill()
        http.close()


def test_a_commit_in_the_working_tree_is_applied_without_waiting_for_a_poll(served: Served) -> None:
    write_service(
        served.repo,
        "web",
        instances="""
        - name: test
          environment: test
          inputs: {size: 5}
          bindings: {orders: {service: orders}}
    """,
    )
    served.repo.commit("web: size 5")
    wait_for(
        lambda: (
            [d["status"] for d in served.history("service/web/test")] == ["SUCCEEDED", "SUCCEEDED"]
        ),
        "the update of web",
    )
    assert served.events("loop.reconcile")[-1]["reason"] != "poll"


def test_an_idle_serve_does_no_work_until_a_commit(served: Served) -> None:
    # serve's own reads of .git (each look at the head) must not wake it up again.
    time.sleep(IDLE_S)
    assert served.events("loop.unchanged") == []
    assert len(served.events("loop.reconcile")) == 1
    served.repo.commit("an empty commit moves the branch")
    wait_for(lambda: len(served.events("loop.reconcile")) == 2, "the commit's reconcile")
    time.sleep(IDLE_S)
    assert len(served.events("loop.reconcile")) == 2
    assert served.events("loop.unchanged") == []


def test_an_uncommitted_edit_does_no_work(served: Served) -> None:
    (served.repo.root / "notes.txt").write_text("not committed\n")
    write_service(served.repo, "web", instances="- {name: test, environment: test}")
    time.sleep(IDLE_S)
    assert served.events("loop.unchanged") == []
    assert len(served.events("loop.reconcile")) == 1


def test_a_rewritten_ref_with_the_same_head_is_skipped(served: Served) -> None:
    ref = served.repo.root / ".git" / "refs" / "heads" / "main"
    ref.write_text(ref.read_text())
    wait_for(lambda: served.events("loop.unchanged"), "the loop to look and skip")
    assert len(served.events("loop.reconcile")) == 1
    assert len(served.history("service/web/test")) == 1


def test_sigterm_stops_cleanly(served: Served) -> None:
    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(timeout=30) == 0
    assert served.events("loop.stopped")


def test_start_up_objects_are_frozen_after_the_first_pass(served: Served) -> None:
    wait_for(lambda: served.events("serve.heap_frozen"), "the heap to be frozen")
    assert served.events("serve.heap_frozen")[0]["objects"] > 100_000
