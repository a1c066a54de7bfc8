"""How long the read-only API and the web page take on a large estate.

Fills a SQLite state store (or the PostgreSQL of ``--state``) with N service instances
spread over three environments (N/3 services), one environment stack each, two
deployments per unit and a halted rollout, then times each route through FastAPI's
TestClient (in process, so the figures are the router's and the store's, not the
network's): the status JSON, one unit, one unit's history, the overview page, a unit
page, and /metrics.

    .venv/bin/python bench/web_status.py                 # 5,000 instances, SQLite
    .venv/bin/python bench/web_status.py --units 500 --rounds 20

No target is set for these routes in DESIGN.md; the figures say what a scrape or a page
load costs at the scale the other targets name (5,000 service instances).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from fastapi import FastAPI  # noqa: E402
from starlette.exceptions import StarletteDeprecationWarning  # noqa: E402

from reconciler.caching import RECOMMENDED  # noqa: E402
from reconciler.state import Condition, Rollout, StateStore, UnitRecord  # noqa: E402
from webhooks.api import status_router  # noqa: E402
from webhooks.views import ViewSettings  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

OUT = PROJECT_ROOT / "bench" / "out" / "web_status.json"
ENVIRONMENTS = ("test", "staging", "production")
DEFAULT_UNITS = 5000
DEFAULT_ROUNDS = 5
REVISION = "9f2c1e7ab34d5e6f708192a3b4c5d6e7f8091a2b"


def fill(store: StateStore, count: int) -> str:
    """``count`` service instances plus the environments; returns one unit id to look at."""
    now = datetime.now(UTC)
    ready = (Condition("Ready", True, "UpToDate", "up to date", now),)
    records = [
        UnitRecord(
            f"environment/{env}",
            "environment",
            f"goldenpath-environment-{env}",
            "111111111111",
            "us-west-2",
            "pizza-env",
            "1.2",
            now,
            conditions=ready,
        )
        for env in ENVIRONMENTS
    ]
    for i in range(count):
        env = ENVIRONMENTS[i % len(ENVIRONMENTS)]
        unit_id = f"service/svc-{i // len(ENVIRONMENTS):05d}/{env}"
        records.append(
            UnitRecord(
                unit_id,
                "service",
                "goldenpath-" + unit_id.replace("/", "-"),
                "111111111111",
                "us-west-2",
                "public-web-svc",
                "1.2",
                now,
                outputs={"ServiceEndpoint": f"https://{i}.example", "ApiToken": "t"},
                conditions=ready,
                last_applied_revision=REVISION,
            )
        )
    store.save_units(records)
    store.cache_put(RECOMMENDED, "public-web-svc", "1.3")
    for record in records:
        for version in ("1.1", "1.2"):
            deployment = store.start_deployment(record.id, REVISION, version)
            store.finish_deployment(deployment.id, "SUCCEEDED")
    rollout = Rollout.begin("public-web-svc", 1, "1.2", "1.3", [[e] for e in ENVIRONMENTS], now)
    store.save_rollout(rollout.with_wave(0, "failed", now, "stack rollback"))
    return records[-1].id


def timed(client: TestClient, path: str, rounds: int) -> dict[str, float]:
    seconds = []
    for _ in range(rounds):
        started = time.perf_counter()
        answer = client.get(path)
        seconds.append(time.perf_counter() - started)
        if answer.status_code != 200:
            raise SystemExit(f"{path} answered {answer.status_code}: {answer.text[:300]}")
    return {
        "median_ms": statistics.median(seconds) * 1000,
        "max_ms": max(seconds) * 1000,
        "bytes": len(answer.content),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=DEFAULT_UNITS, help="service instances")
    parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS, help="requests per route")
    parser.add_argument("--state", help="a state store URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = args.state or f"sqlite:///{Path(scratch) / 'state.db'}"
        with StateStore.open(url) as store:
            started = time.perf_counter()
            unit_id = fill(store, args.units)
            print(f"filled {args.units} instances in {time.perf_counter() - started:.1f} s")
            app = FastAPI()
            # Metrics read afresh each time: the figure is the cost of one real reading.
            settings = ViewSettings(environment_order=ENVIRONMENTS, metrics_max_age_s=0.0)
            app.include_router(status_router(store, settings))
            routes = {
                "status JSON": "/api/v1/status",
                "unit JSON": f"/api/v1/units/{unit_id}",
                "history JSON": f"/api/v1/units/{unit_id}/history",
                "overview page": "/",
                "unit page": f"/units/{unit_id}",
                "metrics": "/metrics",
            }
            with TestClient(app) as client:
                results = {name: timed(client, path, args.rounds) for name, path in routes.items()}
    for name, figures in results.items():
        print(
            f"{name:>14}: median {figures['median_ms']:8.1f} ms, max {figures['max_ms']:8.1f} ms,"
            f" {figures['bytes'] / 1024:8.0f} KiB"
        )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(
        json.dumps({"units": args.units, "rounds": args.rounds, "routes": results}, indent=2)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
