"""Accepted webhook deliveries per second through ``goldenpath serve`` itself, and latency.

The product as it runs: ``goldenpath serve`` is started as a subprocess on a clone URL of
the example platform repo (``platform-repo-example``, pushed to a bare repository, so a
reconcile fetches as it would from a forge), forge reporting off, the emulator (embedded
in serve, or a standalone ``goldenpath emulator``), and the state store on SQLite or on
PostgreSQL. Once serve has applied the repo, a load generator sends signed GitHub push
deliveries of the tracked branch naming its head, each with its own delivery id, over
keep-alive connections for a fixed time, so every one is verified, parsed, recorded in
the durable delivery log and queued for the reconcile loop (which coalesces them).

The load generator is wrk when installed (``apt-get install wrk``), else a Python asyncio
client (``bench/webhook_load.py``); both report the CPU they used, beside serve's own.
Afterwards the delivery log is read back: every delivery answered 202 must be in it.

    .venv/bin/python bench/webhooks_throughput.py                     # SQLite and PostgreSQL
    .venv/bin/python bench/webhooks_throughput.py --state sqlite --connections 4 16 64
    .venv/bin/python bench/webhooks_throughput.py --client python --emulator standalone

Target (DESIGN.md, issue 12): at least 1,500 accepted deliveries/s, p99 under 20 ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from bench.serve_process import (  # noqa: E402
    Served,
    emulator,
    prepare_repo,
    serving,
    state_store,
)
from bench.webhook_load import Load, LoadResult, run_python, run_wrk, wrk_available  # noqa: E402

PAYLOADS = PROJECT_ROOT.parent / "shared" / "webhook-payloads"
OUT = PROJECT_ROOT / "bench" / "out" / "webhooks_throughput.json"
SECRET = "bench-webhook-secret"
REPO_NAME = "pizza-ananas/platform"
TARGET_PER_S = 1500
TARGET_P99_MS = 20.0
WARM_UP_S = 2.0
# Seconds the loop gets, after the load stops, to take what is still queued.
SETTLE_S = 2.0
# Accepted delivery ids sent again after the run: each must be answered "duplicate".
REDELIVERIES = 10


def push_delivery(head: str, work: Path) -> tuple[Path, str]:
    """A real GitHub push payload, rewritten to the tracked branch's head; its signature."""
    from webhooks.github import signature

    document = json.loads((PAYLOADS / "github" / "push.payload.json").read_text())
    document.update(ref="refs/heads/main", before=head, after=head, created=False, deleted=False)
    document["repository"]["full_name"] = REPO_NAME
    body = json.dumps(document).encode()
    path = work / "push.json"
    path.write_bytes(body)
    return path, signature(SECRET, body)


def taken_deliveries(state: str, prefix: str, limit: int | None = None) -> list[str]:
    """Delivery ids of this run found in the delivery log (``limit`` of them)."""
    import sqlalchemy as sa

    engine = sa.create_engine(sa.make_url(state).set(drivername=_driver(state)))
    try:
        with engine.connect() as connection:
            found = connection.execute(
                sa.text("SELECT id FROM deliveries WHERE id LIKE :p ORDER BY id LIMIT :n"),
                {"p": f"github:{prefix}-%", "n": limit if limit is not None else 10**9},
            ).scalars()
            return [key.removeprefix("github:") for key in found]
    finally:
        engine.dispose()


def _driver(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql+psycopg"


def redeliver(served: Served, body: Path, signature: str, ids: list[str]) -> dict[str, int]:
    """Send deliveries again with ids already taken; answers by verdict."""
    verdicts: dict[str, int] = {}
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
    for delivery in ids:
        connection.request(
            "POST",
            "/webhooks/github",
            body=body.read_bytes(),
            headers={
                "Content-Type": "application/json",
                "X-GitHub-Event": "push",
                "X-GitHub-Delivery": delivery,
                "X-Hub-Signature-256": signature,
            },
        )
        answer = json.loads(connection.getresponse().read())
        verdicts[answer["verdict"]] = verdicts.get(answer["verdict"], 0) + 1
    connection.close()
    return verdicts


def loop_work(events: list[dict[str, Any]]) -> dict[str, int]:
    """What the reconcile loop did with the queued pushes."""

    def count(name: str, **match: object) -> int:
        return sum(
            1
            for e in events
            if e.get("event") == name and all(e.get(k) == v for k, v in match.items())
        )

    return {
        "pushes_handled": count("loop.unchanged", reason="push") + count("loop.reconcile"),
        # A push naming the head already applied is settled without a fetch.
        "fetches": sum(
            1
            for e in events
            if (e.get("event") == "loop.unchanged" and e.get("fetched", True))
            or e.get("event") == "loop.reconcile"
        ),
        "reconciles": count("loop.reconciled"),
    }


def load(served: Served, args: argparse.Namespace, body: Path, sig: str, **kw: Any) -> LoadResult:
    spec = Load(
        port=served.port,
        body=body,
        signature=sig,
        prefix=kw["prefix"],
        connections=kw["connections"],
        seconds=kw["seconds"],
    )
    client_cpu = 1 if args.pin else None
    if args.client == "wrk":
        return run_wrk(spec, served.log.parent, client_cpu)
    return run_python(spec, client_cpu)


def trial(
    kind: str, args: argparse.Namespace, work: Path, bare: Path, body: Path, sig: str
) -> list[dict[str, Any]]:
    figures = []
    runs = []
    with emulator(args.emulator) as cloud, state_store(kind, work) as state:
        with serving(work, bare, state, cloud, work / f"serve-{kind}.log", SECRET) as served:
            if args.pin:
                os.sched_setaffinity(served.process.pid, {0})
            load(served, args, body, sig, prefix="warm", connections=4, seconds=WARM_UP_S)
            for connections in [c for c in args.connections for _ in range(args.runs)]:
                time.sleep(SETTLE_S)
                since = served.log_size()
                prefix = f"bench-{uuid.uuid4().hex[:8]}"
                cpu = served.cpu_seconds()
                found = load(
                    served,
                    args,
                    body,
                    sig,
                    prefix=prefix,
                    connections=connections,
                    seconds=args.seconds,
                )
                server_cpu = served.cpu_seconds() - cpu
                time.sleep(SETTLE_S)
                again = redeliver(served, body, sig, taken_deliveries(state, prefix, REDELIVERIES))
                runs.append((connections, prefix, found, server_cpu, served.events(since), again))
        # Read back once serve has stopped: what it answered 202 must be in the log.
        durable = {prefix: len(taken_deliveries(state, prefix)) for _, prefix, *_ in runs}
    for connections, prefix, found, server_cpu, events, again in runs:
        accepted = found.statuses.get("202", 0)
        figures.append(
            {
                "state": kind,
                "emulator": args.emulator,
                "client": found.client,
                "connections": connections,
                "seconds": round(found.seconds, 2),
                "accepted": accepted,
                "accepted_per_s": round(accepted / found.seconds),
                "statuses": found.statuses,
                "socket_errors": found.errors,
                "p50_ms": round(found.p50_ms, 2),
                "p99_ms": round(found.p99_ms, 2),
                "max_ms": round(found.max_ms, 2),
                "serve_cpu_s": round(server_cpu, 2),
                "client_cpu_s": round(found.client_cpu_s, 2),
                "durable": durable[prefix],
                "redelivered": again,
                "loop": loop_work(events),
                "load_average": round(os.getloadavg()[0], 2),
            }
        )
    return figures


def medians(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per state store and connection count: the median run by accepted deliveries/s."""
    summary = []
    for key in dict.fromkeys((r["state"], r["connections"]) for r in runs):
        same = sorted(
            (r for r in runs if (r["state"], r["connections"]) == key),
            key=lambda r: r["accepted_per_s"],
        )
        middle = same[len(same) // 2]
        summary.append(
            {
                "state": key[0],
                "connections": key[1],
                "runs": len(same),
                "accepted_per_s": [r["accepted_per_s"] for r in same],
                "median_per_s": middle["accepted_per_s"],
                "p50_ms": middle["p50_ms"],
                "p99_ms": middle["p99_ms"],
                "serve_cpu_ms_per_delivery": round(
                    1000 * middle["serve_cpu_s"] / max(middle["accepted"], 1), 3
                ),
                "client_cpu_s": middle["client_cpu_s"],
                "seconds": middle["seconds"],
                "all_durable": all(r["durable"] >= r["accepted"] for r in same),
                "redeliveries_refused": all(
                    r["redelivered"] == {"duplicate": REDELIVERIES} for r in same
                ),
                "fetches": sum(r["loop"]["fetches"] for r in same),
                "load_average": [r["load_average"] for r in same],
            }
        )
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--state", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--emulator", choices=("embedded", "standalone"), default="embedded")
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--connections", type=int, nargs="+", default=[16])
    parser.add_argument("--seconds", type=float, default=10.0, help="per measured run")
    parser.add_argument("--runs", type=int, default=3, help="runs per connection count")
    parser.add_argument("--pin", action="store_true", help="serve on CPU 0, the client on 1")
    parser.add_argument(
        "--nice",
        type=int,
        default=0,
        help="scheduling priority of the bench, serve and the client (negative needs root): "
        "shields the measurement from other work on a shared machine",
    )
    parser.add_argument("--work", type=Path, help="where repos and logs go (a temp dir)")
    args = parser.parse_args()
    if args.nice:
        os.nice(args.nice)  # serve, the emulator and the client inherit it
    if args.client == "auto":
        args.client = "wrk" if wrk_available() else "python"
    if not PAYLOADS.exists():
        sys.exit(f"{PAYLOADS} is absent: the shared payloads live in ../shared")
    work = args.work or Path(tempfile.mkdtemp(prefix="goldenpath-webhooks-"))
    work.mkdir(parents=True, exist_ok=True)
    bare, head = prepare_repo(work)
    body, sig = push_delivery(head, work)
    kinds = ("sqlite", "postgresql") if args.state == "both" else (args.state,)
    machine = {
        "cpus": os.cpu_count(),
        "load_average_at_start": os.getloadavg(),
        "nice": os.getpriority(os.PRIO_PROCESS, 0),
    }
    runs = [f for kind in kinds for f in trial(kind, args, work, bare, body, sig)]
    results = {"machine": machine, "summary": medians(runs), "runs": runs}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results["summary"], indent=2))
    for run in results["summary"]:
        met = run["median_per_s"] >= TARGET_PER_S and run["p99_ms"] < TARGET_P99_MS
        print(
            f"{run['state']:10} c={run['connections']:<3} median {run['median_per_s']:>6}/s "
            f"(runs {run['accepted_per_s']}) p50 {run['p50_ms']} ms p99 {run['p99_ms']} ms; "
            f"serve {run['serve_cpu_ms_per_delivery']} ms CPU a delivery; "
            f"target: {'met' if met else 'NOT met'}"
        )


if __name__ == "__main__":
    main()
