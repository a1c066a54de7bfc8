"""`goldenpath serve` with notifications: a receiver that is down when the deployments
happen gets every event once after serve restarts, and a target without its variable is
an error at start that does not stop serve."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from reconciler.notifications.outbox import Outbox
from reconciler.state import StateStore
from tests.e2e.world import GOLDENPATH, free_port, wait_for
from tests.fakes.receivers import SignedReceiver
from tests.support.platform_repo import GIT_ENV, PlatformRepo, small_platform

pytestmark = pytest.mark.slow
SECRET = "e2e-notifications-secret"
UNITS = 6  # two environments, three instances, one pipeline
PLATFORM = """apiVersion: goldenpath.dev/v1
kind: Platform
metadata: {name: e2e}
spec:
  notifications:
    - name: audit
      format: json
      urlFrom: E2E_AUDIT_URL
      secretFrom: E2E_AUDIT_SECRET
      events: [deploy.succeeded, deploy.failed]
    - {name: ops-slack, format: slack, urlFrom: E2E_SLACK_URL, events: [deploy.failed]}
"""


def serve(
    tmp_path: Path, repo: PlatformRepo, cloud: str, env: dict[str, str], log: Path
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
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
        cloud,
        "--output",
        "json",
    ]
    base = {k: v for k, v in os.environ.items() if not k.startswith(("GOLDENPATH_", "E2E_"))}
    with open(log, "ab") as out:
        process = subprocess.Popen(
            command, cwd=tmp_path, env={**base, **GIT_ENV, **env}, stdout=out, stderr=out
        )
    return process, f"http://127.0.0.1:{port}"


def events(log: Path, name: str) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    return [e for e in lines if e.get("event") == name]


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    assert process.wait(60) == 0


def test_events_queued_while_the_receiver_is_down_are_delivered_after_a_restart(
    tmp_path: Path, fresh_cloud: str
) -> None:
    repo = small_platform(tmp_path / "repo")
    repo.write("goldenpath.yaml", PLATFORM)
    repo.commit("notifications")
    receiver = SignedReceiver(secret=SECRET).start()
    receiver.stop()  # down: connections refused
    env = {"E2E_AUDIT_URL": receiver.url, "E2E_AUDIT_SECRET": SECRET}
    log = tmp_path / "serve.log"

    process, url = serve(tmp_path, repo, fresh_cloud, env, log)
    try:
        wait_for(lambda: len(events(log, "notification.retry")) >= UNITS, "failed attempts")
        (unusable,) = events(log, "notification.target_unusable")
        assert (unusable["target"], unusable["variable"]) == ("ops-slack", "E2E_SLACK_URL")
        assert unusable["where"] == "goldenpath.yaml:11"
        with httpx.Client() as http:
            listed = http.get(f"{url}/api/v1/notifications").json()
        assert listed["counts"]["pending"] == UNITS
        assert all(n["kind"] == "deploy.succeeded" for n in listed["notifications"])
    finally:
        stop(process)
    assert receiver.url not in log.read_text()  # never the target's URL in the logs

    receiver.start()  # back, on the same port
    process, url = serve(tmp_path, repo, fresh_cloud, env, log)
    try:
        wait_for(lambda: len(receiver.accepted) >= UNITS, "the deliveries after the restart")
        with httpx.Client() as http:
            wait_for(
                lambda: (
                    http.get(f"{url}/api/v1/notifications").json()["counts"]["delivered"] == UNITS
                ),
                "the outbox to record them",
            )
    finally:
        stop(process)
        receiver.stop()
    units = sorted(str(r.json()["unit"]) for r in receiver.accepted)
    assert len(units) == UNITS and len(set(units)) == UNITS  # each once
    assert "service/web/test" in units and "pipeline/orders" in units
    with StateStore.open(f"sqlite:///{tmp_path / 'state.db'}") as store:
        assert {(n.state, n.claimed_by) for n in Outbox(store).listing()} == {("delivered", None)}
