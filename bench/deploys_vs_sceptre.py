"""Deploys side by side: Goldenpath and Sceptre 4.7.0, N small independent stacks each.

The same work for both: N stacks of one small template (one SSM parameter each; the
bodies Goldenpath renders are the templates Sceptre gets), against the same standalone
emulator (``goldenpath emulator``, a fresh one per trial). Three figures per tool and N:

* first deploy of all N stacks;
* a no-op re-run (nothing changed);
* a re-run after one stack's template changed.

Every AWS API call either tool makes goes through a counting proxy on loopback, so the
calls of each run are counted by action. Sceptre runs in a virtualenv of its own under
``bench/out/`` (it pins ``jsonschema<3.3``), created on first use.

    .venv/bin/python bench/deploys_vs_sceptre.py                    # N = 50 and 200, 3 trials
    .venv/bin/python bench/deploys_vs_sceptre.py --stacks 20 --trials 1

Targets (DESIGN.md): first deploy at least 2x faster than Sceptre; no-op and one-change
re-runs at least 20x faster; a no-op makes 0 AWS API calls.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from bench.generate_repo import (  # noqa: E402
    SMALL_TEMPLATE,
    GitRepo,
    generate_stacks,
    stack_environment,
    stack_spec,
)
from bench.validate_5000 import machine  # noqa: E402

GOLDENPATH = str(Path(sys.executable).parent / "goldenpath")
SCEPTRE_VERSION = "4.7.0"
SCEPTRE_VENV = PROJECT_ROOT / "bench" / "out" / "sceptre-venv"
OUT = PROJECT_ROOT / "bench" / "out" / "deploys_vs_sceptre.json"
REGION = "us-east-1"
# Seconds to wait for the emulator to answer its health check after it starts.
EMULATOR_START_S = 60
# Seconds one tool run may take before the benchmark gives up on it.
RUN_TIMEOUT_S = 1800
# Connections the counting proxy queues before it accepts them.
PROXY_BACKLOG = 1024
TARGETS = {"first_deploy_ratio": 2.0, "noop_ratio": 20.0, "one_change_ratio": 20.0}
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
}


# The counting proxy.


class CallCounter:
    """AWS API calls seen by the proxy, by action."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: Counter[str] = Counter()

    def add(self, action: str) -> None:
        with self.lock:
            self.calls[action] += 1

    def take(self) -> dict[str, int]:
        with self.lock:
            taken = dict(self.calls)
            self.calls.clear()
        return taken


@contextmanager
def counting_proxy(target_port: int, counter: CallCounter) -> Iterator[int]:
    """An HTTP forwarder on loopback to ``target_port``; yields its own port."""

    class Forward(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if not self.path.startswith("/_goldenpath/"):
                counter.add(_action(self.headers.get("X-Amz-Target"), body, self.path))
            upstream = http.client.HTTPConnection("127.0.0.1", target_port, timeout=300)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                headers["Host"] = f"127.0.0.1:{target_port}"
                upstream.request(self.command, self.path, body=body, headers=headers)
                answer = upstream.getresponse()
                data = answer.read()
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            finally:
                upstream.close()

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

        def log_message(self, format: str, *args: Any) -> None:
            return

    # Sceptre opens hundreds of connections at once: a deep accept queue, or resets.
    ThreadingHTTPServer.request_queue_size = PROXY_BACKLOG
    server = ThreadingHTTPServer(("127.0.0.1", 0), Forward)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def _action(target: str | None, body: bytes, path: str) -> str:
    if target:
        return target.rsplit(".", 1)[-1]
    query = urllib.parse.parse_qs(body.decode(errors="replace")) if body else {}
    if not query:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
    return (query.get("Action") or ["(other)"])[0]


# The emulator.


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def emulator() -> Iterator[int]:
    port = free_port()
    process = subprocess.Popen(
        [GOLDENPATH, "emulator", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + EMULATOR_START_S
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/_goldenpath/health")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit("the emulator did not start")
            time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


# The tools.


def timed(argv: list[str], *, cwd: Path | None = None, env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT_S
    )
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(
            f"{' '.join(argv[:3])} failed ({done.returncode}):\n"
            f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
        )
    return took


class Goldenpath:
    name = "goldenpath"

    def __init__(self, work: Path, count: int) -> None:
        self.repo = work / "goldenpath-repo"
        self.count = count
        self.state = work / "goldenpath-state.db"

    def prepare(self) -> None:
        generate_stacks(self.repo, self.count)
        self.state.unlink(missing_ok=True)

    def run(self, endpoint: str) -> float:
        return timed(
            [
                GOLDENPATH,
                "apply",
                str(self.repo),
                "--yes",
                "--output",
                "json",
                "--state",
                f"sqlite:///{self.state}",
                "--cloud",
                "embedded",
                "--aws-endpoint-url",
                endpoint,
            ],
            env={**os.environ, **CREDENTIALS},
        )

    def change_one(self) -> None:
        path = self.repo / "environments" / f"{stack_environment(0)}.yaml"
        path.write_text(stack_spec(0, "2"))
        GitRepo(self.repo).commit("stack 0: value 2")


class Sceptre:
    name = "sceptre"

    def __init__(self, work: Path, count: int) -> None:
        self.project = work / "sceptre-project"
        self.count = count

    def prepare(self) -> None:
        if self.project.exists():
            shutil.rmtree(self.project)
        (self.project / "config" / "stacks").mkdir(parents=True)
        (self.project / "templates").mkdir()
        (self.project / "config" / "config.yaml").write_text(
            f"project_code: bench\nregion: {REGION}\n"
        )
        for i in range(self.count):
            name = stack_environment(i)
            self._template(i, "1")
            (self.project / "config" / "stacks" / f"{name}.yaml").write_text(
                f"template:\n  path: {name}.yaml\n"
            )

    def _template(self, index: int, value: str) -> None:
        name = stack_environment(index)
        body = SMALL_TEMPLATE.replace("{{ environment.name }}", name).replace(
            "{{ environment.inputs.value }}", value
        )
        (self.project / "templates" / f"{name}.yaml").write_text(body)

    def run(self, endpoint: str) -> float:
        return timed(
            [
                str(SCEPTRE_VENV / "bin" / "sceptre"),
                "--dir",
                str(self.project),
                "launch",
                "--yes",
                "stacks",
            ],
            env={**os.environ, **CREDENTIALS, "AWS_ENDPOINT_URL": endpoint},
        )

    def change_one(self) -> None:
        self._template(0, "2")


def ensure_sceptre() -> None:
    if (SCEPTRE_VENV / "bin" / "sceptre").exists():
        return
    subprocess.run([sys.executable, "-m", "venv", str(SCEPTRE_VENV)], check=True)
    subprocess.run(
        [str(SCEPTRE_VENV / "bin" / "pip"), "install", "-q", f"sceptre=={SCEPTRE_VERSION}"],
        check=True,
    )


def trial(tool: Goldenpath | Sceptre) -> dict[str, Any]:
    """First deploy, no-op, one change: seconds and API calls of each."""
    tool.prepare()
    counter = CallCounter()
    figures: dict[str, Any] = {}
    with emulator() as port, counting_proxy(port, counter) as proxy:
        endpoint = f"http://127.0.0.1:{proxy}"
        counter.take()
        figures["first_deploy"] = {"s": round(tool.run(endpoint), 3), "calls": counter.take()}
        figures["noop"] = {"s": round(tool.run(endpoint), 3), "calls": counter.take()}
        tool.change_one()
        figures["one_change"] = {"s": round(tool.run(endpoint), 3), "calls": counter.take()}
    return figures


def medians(trials: list[dict[str, Any]]) -> dict[str, Any]:
    out = {}
    for phase in ("first_deploy", "noop", "one_change"):
        times = [t[phase]["s"] for t in trials]
        calls = [sum(t[phase]["calls"].values()) for t in trials]
        out[phase] = {
            "median_s": round(statistics.median(times), 3),
            "all_s": times,
            "median_calls": statistics.median(calls),
            "calls_of_first_trial": trials[0][phase]["calls"],
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stacks", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--work", type=Path)
    args = parser.parse_args()
    ensure_sceptre()
    work = args.work or Path(tempfile.mkdtemp(prefix="goldenpath-deploys-"))
    work.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"machine": machine(), "sceptre": SCEPTRE_VERSION}
    for count in args.stacks:
        runs: dict[str, list[dict[str, Any]]] = {"goldenpath": [], "sceptre": []}
        for number in range(args.trials):
            # Alternate which tool goes first, so neither always meets a warmer machine.
            tools: list[Goldenpath | Sceptre] = [Goldenpath(work, count), Sceptre(work, count)]
            for tool in tools if number % 2 == 0 else tools[::-1]:
                runs[tool.name].append(trial(tool))
                print(count, tool.name, number, json.dumps(runs[tool.name][-1]), flush=True)
        gold, scep = medians(runs["goldenpath"]), medians(runs["sceptre"])
        ratios = {
            f"{phase}_ratio": round(scep[phase]["median_s"] / gold[phase]["median_s"], 1)
            for phase in ("first_deploy", "noop", "one_change")
        }
        result[str(count)] = {"goldenpath": gold, "sceptre": scep, "ratios": ratios}
    result["targets"] = TARGETS
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
