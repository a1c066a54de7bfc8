"""``goldenpath serve`` under a benchmark: the repo it tracks, its emulator, its state store.

Used by ``bench/webhooks_throughput.py``: a bare clone of the example platform repo, the
emulator (in serve's process or standalone), a fresh SQLite file or PostgreSQL database,
and serve itself as a subprocess, stopped with SIGTERM as in production.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = PROJECT_ROOT / "platform-repo-example"
GOLDENPATH = str(Path(sys.executable).parent / "goldenpath")
POSTGRES = os.environ.get(
    "GOLDENPATH_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
# Seconds serve may take to start and apply the example repo to a fresh emulator.
START_TIMEOUT_S = 300.0
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV, "HOME": str(cwd)}
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


def prepare_repo(work: Path) -> tuple[Path, str]:
    """The example repo committed and pushed to a bare ``origin.git``; its head."""
    repo = work / "repo"
    shutil.copytree(EXAMPLE, repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "the example platform")
    bare = work / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    git(repo, "push", "-q", str(bare), "main")
    return bare, git(repo, "rev-parse", "HEAD")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def emulator(kind: str) -> Iterator[list[str]]:
    """serve's cloud arguments: the emulator in serve's process, or a standalone one."""
    if kind == "embedded":
        yield ["--cloud", "embedded"]
        return
    port = free_port()
    process = subprocess.Popen(
        [GOLDENPATH, "emulator", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _answers(port, "/_goldenpath/health", lambda d: json.loads(d).get("loaded")):
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit("the emulator did not start")
            time.sleep(0.2)
        yield ["--cloud", "embedded", "--aws-endpoint-url", f"http://127.0.0.1:{port}"]
    finally:
        process.terminate()
        process.wait(timeout=30)


def _answers(port: int, path: str, check: Any = bool) -> bool:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request("GET", path)
        answer = connection.getresponse()
        return answer.status == 200 and bool(check(answer.read()))
    except (OSError, http.client.HTTPException, ValueError):
        return False


@contextmanager
def state_store(kind: str, work: Path) -> Iterator[str]:
    """A fresh state store URL: a SQLite file, or a PostgreSQL database dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{work / f'state-{uuid.uuid4().hex[:8]}.db'}"
        return
    import sqlalchemy as sa

    name = f"bench_webhooks_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(sa.make_url(POSTGRES), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def events(self, since: int = 0) -> list[dict[str, Any]]:
        with self.log.open("rb") as text:
            text.seek(since)
            lines = text.read().decode(errors="replace").splitlines()
        return [json.loads(x) for x in lines if x.startswith("{") and x.endswith("}")]

    def log_size(self) -> int:
        return self.log.stat().st_size

    def cpu_seconds(self) -> float:
        """User and system time of serve and of its finished children (git fetches)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = sum(int(fields[n]) for n in (11, 12, 13, 14))
        return ticks / os.sysconf("SC_CLK_TCK")


@contextmanager
def serving(
    work: Path, bare: Path, state: str, cloud: list[str], log: Path, secret: str
) -> Iterator[Served]:
    """``goldenpath serve`` on the bare repo, once it has applied the head."""
    port = free_port()
    command = [
        GOLDENPATH,
        "serve",
        "--repo",
        f"file://{bare}",
        "--listen",
        f"127.0.0.1:{port}",
        "--interval",
        "3600",
        "--state",
        state,
        *cloud,
        "--output",
        "json",
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOLDENPATH_")}
    env.update(GIT_ENV, GOLDENPATH_WEBHOOK_SECRET=secret, GOLDENPATH_BRANCH="main")
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=work, env=env, stdout=out, stderr=out)
    served = Served(process, port, log)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not any(e.get("event") == "loop.reconciled" for e in served.events()):
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"serve did not apply the repo; see {log}")
            time.sleep(0.5)
        yield served
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
