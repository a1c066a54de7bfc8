"""Deploys side by side: Goldenpath and Sceptre 4.7.0, N small independent stacks each.

The same work for both: N stacks of one small template (one SSM parameter each; the
bodies Goldenpath renders are the templates Sceptre gets), against the same standalone
emulator (``goldenpath emulator``, a fresh one per trial). Three figures per tool and N:

* first deploy of all N stacks;
* a no-op re-run (nothing changed);
* a re-run after one stack's template changed.

For Goldenpath, the re-runs are also timed as the long-running reconciler does them
(``goldenpath serve``, the product's main mode; Sceptre has no such mode): a push webhook
arrives, and the clock stops when the status API shows the changed stack applied at the
new commit (one change, the median of five changes in a row), or when the reconciler has
answered a push of the same head (no-op, read from its log). These figures are reported
beside, not instead of, the command-line ones.

The emulator counts every AWS API call it answers (``/_goldenpath/calls``), so the calls
of each run are counted by action. Sceptre runs in a virtualenv of its own under
``bench/out/`` (it pins ``jsonschema<3.3``), created on first use.

    .venv/bin/python bench/deploys_vs_sceptre.py                    # N = 50 and 200, 3 trials
    .venv/bin/python bench/deploys_vs_sceptre.py --stacks 20 --trials 1

Targets (DESIGN.md): first deploy at least 2x faster than Sceptre; no-op and one-change
re-runs at least 20x faster; a no-op makes 0 AWS API calls.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
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
TARGETS = {"first_deploy_ratio": 2.0, "noop_ratio": 20.0, "one_change_ratio": 20.0}
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
}


# Calls are counted by the emulator itself (``/_goldenpath/calls``): a counting proxy
# in front of it cost this 2-core machine seconds of CPU per run and skewed the times.


class CallCounter:
    """The AWS API calls the emulator answered since the last ``take``, by action."""

    def __init__(self, port: int) -> None:
        self.port = port

    def take(self) -> dict[str, int]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request("DELETE", "/_goldenpath/calls")
            answer = connection.getresponse()
            calls: dict[str, int] = json.loads(answer.read())["calls"]
        finally:
            connection.close()
        return calls


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
                answer = connection.getresponse()
                # Loaded: moto imports in the background after the emulator listens, and
                # that start-up belongs to neither tool's deploy.
                if answer.status == 200 and json.loads(answer.read()).get("loaded"):
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

    def change_one(self, value: str = "2") -> None:
        path = self.repo / "environments" / f"{stack_environment(0)}.yaml"
        path.write_text(stack_spec(0, value))
        GitRepo(self.repo).commit(f"stack 0: value {value}")


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


# Seconds to wait for ``goldenpath serve`` to apply its repo after it starts.
SERVE_START_S = 120
WEBHOOK_SECRET = "bench-secret"
# One-change re-runs timed in a row in the reconciler; their median is its figure.
SERVE_CHANGES = 5


class GoldenpathServe:
    """``goldenpath serve`` on the repo ``Goldenpath`` deployed, poked by push webhooks."""

    def __init__(self, tool: Goldenpath, endpoint: str, log: Path) -> None:
        self.tool = tool
        self.port = free_port()
        self.log = log
        self.process = subprocess.Popen(
            [
                GOLDENPATH,
                "serve",
                "--repo",
                str(tool.repo),
                "--state",
                f"sqlite:///{tool.state}",
                "--cloud",
                "embedded",
                "--aws-endpoint-url",
                endpoint,
                "--listen",
                f"127.0.0.1:{self.port}",
                "--interval",
                "3600",
                "--output",
                "json",
            ],
            stdout=subprocess.DEVNULL,
            stderr=log.open("w"),
            env={**os.environ, **CREDENTIALS, "GOLDENPATH_WEBHOOK_SECRET": WEBHOOK_SECRET},
        )
        self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def wait_applied(self, unit: str, commit: str, timeout: float) -> None:
        """Until the status API shows ``unit`` applied at ``commit``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"goldenpath serve exited; see {self.log}")
            try:
                self.connection.request("GET", f"/api/v1/units/{unit}")
                answer = self.connection.getresponse()
                data = answer.read()
                if answer.status == 200 and commit in data.decode():
                    applied = json.loads(data).get("last_applied_revision")
                    if applied == commit:
                        return
            except (OSError, http.client.HTTPException):
                self.connection.close()
                time.sleep(0.05)
            time.sleep(0.005)
        raise SystemExit(f"{unit} was not applied at {commit[:12]} in {timeout:.0f}s")

    def push(self, before: str, after: str) -> None:
        document = {
            "ref": "refs/heads/main",
            "before": before,
            "after": after,
            "created": False,
            "deleted": False,
            "repository": {"full_name": "bench/platform", "name": "platform"},
            "sender": {"login": "bench"},
            "pusher": {"name": "bench"},
        }
        body = json.dumps(document).encode()
        digest = hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
        self.connection.request(
            "POST",
            "/webhooks/github",
            body=body,
            headers={
                "Content-Type": "application/json",
                "X-GitHub-Event": "push",
                "X-GitHub-Delivery": f"bench-{time.monotonic_ns()}",
                "X-Hub-Signature-256": f"sha256={digest}",
            },
        )
        answer = self.connection.getresponse()
        answer.read()
        if answer.status != 202:
            raise SystemExit(f"the push webhook was answered {answer.status}")

    def reconciles_logged(self) -> int:
        text = self.log.read_text()
        return text.count('"loop.unchanged"') + text.count('"loop.reconcile"')

    def stop(self) -> None:
        self.connection.close()
        self.process.terminate()
        self.process.wait(timeout=60)


def serve_reruns(tool: Goldenpath, endpoint: str, counter: CallCounter) -> dict[str, Any]:
    """No-op and one-change re-runs in a running reconciler, each from its push webhook."""
    repo = GitRepo(tool.repo)
    head = repo.git("rev-parse", "HEAD")
    serve = GoldenpathServe(tool, endpoint, tool.repo.parent / "serve.log")
    figures: dict[str, Any] = {}
    try:
        serve.wait_applied(stack_unit(0), head, SERVE_START_S)  # started, and in line
        time.sleep(1.0)  # let its start-up work settle
        counter.take()
        seen = serve.reconciles_logged()
        started = time.perf_counter()
        serve.push(head, head)
        while serve.reconciles_logged() == seen:
            time.sleep(0.002)
        figures["noop"] = {"s": round(time.perf_counter() - started, 3), "calls": counter.take()}
        # Several changes in a row, each its own commit and push: a long-running
        # reconciler's figure is what it does change after change, not only once.
        times, calls = [], {}
        for number in range(SERVE_CHANGES):
            tool.change_one(value=str(3 + number))
            commit = repo.git("rev-parse", "HEAD")
            started = time.perf_counter()
            serve.push(head, commit)
            serve.wait_applied(stack_unit(0), commit, RUN_TIMEOUT_S)
            times.append(round(time.perf_counter() - started, 3))
            calls = counter.take()
            head = commit
        figures["one_change"] = {
            "s": statistics.median(times),
            "each_s": times,
            "calls": calls,  # of the last change
        }
    finally:
        serve.stop()
    return figures


def stack_unit(index: int) -> str:
    return f"environment/{stack_environment(index)}"


def trial(tool: Goldenpath | Sceptre) -> dict[str, Any]:
    """First deploy, no-op, one change: seconds and API calls of each."""
    tool.prepare()
    figures: dict[str, Any] = {}
    with emulator() as port:
        counter = CallCounter(port)
        endpoint = f"http://127.0.0.1:{port}"
        counter.take()
        figures["first_deploy"] = {"s": round(tool.run(endpoint), 3), "calls": counter.take()}
        figures["noop"] = {"s": round(tool.run(endpoint), 3), "calls": counter.take()}
        tool.change_one()
        figures["one_change"] = {"s": round(tool.run(endpoint), 3), "calls": counter.take()}
        if isinstance(tool, Goldenpath):
            figures["serve"] = serve_reruns(tool, endpoint, counter)
    return figures


def medians(trials: list[dict[str, Any]]) -> dict[str, Any]:
    out = {}
    for phase in ("first_deploy", "noop", "one_change"):
        out[phase] = _median([t[phase] for t in trials])
    if all("serve" in t for t in trials):
        for phase in ("noop", "one_change"):
            out[f"serve_{phase}"] = _median([t["serve"][phase] for t in trials])
    return out


def _median(figures: list[dict[str, Any]]) -> dict[str, Any]:
    times = [f["s"] for f in figures]
    calls = [sum(f["calls"].values()) for f in figures]
    return {
        "median_s": round(statistics.median(times), 3),
        "all_s": times,
        "median_calls": statistics.median(calls),
        "calls_of_first_trial": figures[0]["calls"],
    }


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
        for phase in ("noop", "one_change"):
            # The reconciler's re-run against Sceptre's (which has no long-running mode).
            ratios[f"serve_{phase}_ratio"] = round(
                scep[phase]["median_s"] / gold[f"serve_{phase}"]["median_s"], 1
            )
        result[str(count)] = {"goldenpath": gold, "sceptre": scep, "ratios": ratios}
    result["targets"] = TARGETS
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
