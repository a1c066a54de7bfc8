"""``goldenpath validate --watch`` in a real subprocess: a result now, a result after each
change to the working tree, and Ctrl-C ends it."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from tests.support.platform_repo import small_platform, write_service

GOLDENPATH = str(Path(sys.executable).parent / "goldenpath")
# Seconds to wait for each result (the first run renders every unit).
RESULT_WAIT_S = 60


def test_watch_validates_again_after_each_change_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    repo = small_platform(tmp_path / "repo")
    process = subprocess.Popen(
        [
            GOLDENPATH,
            "validate",
            str(repo.root),
            "--watch",
            "--no-lint",
            "--output",
            "json",
            "--state",
            f"sqlite:///{tmp_path / 'state.db'}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout
    threading.Thread(target=lambda: [lines.put(line) for line in stdout], daemon=True).start()

    def result() -> dict[str, Any]:
        document: dict[str, Any] = json.loads(lines.get(timeout=RESULT_WAIT_S))
        return document

    try:
        first = result()
        assert first["ok"] is True and first["units"] == 6
        write_service(repo, "web", template="nope")
        broken = result()
        assert broken["ok"] is False
        assert {"file": "services/web.yaml", "field": "spec.template.name"}.items() <= broken[
            "errors"
        ][0].items()
        write_service(repo, "web")
        assert result()["ok"] is True
    finally:
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=30)
    assert code == 0, process.stderr.read() if process.stderr else ""


def test_watch_refuses_a_link_out_of_the_repo_and_carries_on(tmp_path: Path) -> None:
    repo = small_platform(tmp_path / "repo")
    secret = tmp_path / "credentials"
    secret.write_text("TOPSECRET-watch\n")
    process = subprocess.Popen(
        [
            GOLDENPATH,
            "validate",
            str(repo.root),
            "--watch",
            "--no-lint",
            "--output",
            "json",
            "--state",
            f"sqlite:///{tmp_path / 'state.db'}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout
    threading.Thread(target=lambda: [lines.put(line) for line in stdout], daemon=True).start()

    def result() -> dict[str, Any]:
        line = lines.get(timeout=RESULT_WAIT_S)
        assert "TOPSECRET" not in line
        document: dict[str, Any] = json.loads(line)
        return document

    link = repo.root / "services/stolen.yaml"
    try:
        assert result()["ok"] is True
        link.symlink_to(secret)
        refused = result()
        assert refused["ok"] is False
        assert "services/stolen.yaml -> " in refused["errors"][0]["message"]
        link.unlink()
        assert result()["ok"] is True
    finally:
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=30)
    assert code == 0, process.stderr.read() if process.stderr else ""
