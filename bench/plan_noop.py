"""A no-op ``goldenpath plan`` of a generated 5,000-instance platform repo with recorded state.

The state store is seeded as a complete apply would leave it, through the ``StateStore``
API: every unit of the head commit, in dependency order, rendered with its dependencies'
recorded outputs (the real render path the plan uses), its fingerprint recorded, its
outputs synthesized from its own template in AWS formats, Ready. Deploying 5,800 stacks
to the emulator first would measure the emulator, not the plan.

Then ``goldenpath plan`` runs as a subprocess, ``--runs`` times: the first run after the
seed, and the runs after it (which the no-op mark lets skip all work when the revision,
the recorded state and the in-flight operations are unchanged). Every run must say
"no changes" (exit 0). The cloud is an endpoint on a closed loopback port, so any AWS
call at all would fail the run: a no-op plan makes none.

    .venv/bin/python bench/plan_noop.py
    .venv/bin/python bench/plan_noop.py --instances 1000 --runs 3

Then, on the same seeded state, what ``goldenpath serve`` does after a push that changes
one service file: in one process that keeps the engine (its content memo, kept renders,
git caches and record cache) as serve does, the head is planned once, then five commits in
a row each change one service's port and are read and planned (``--push-changes``).

Targets (DESIGN.md): a no-op plan under 1 s and 0 AWS API calls; a push that changes one
service file planned in under 300 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from bench.generate_repo import Size, generate_platform  # noqa: E402
from bench.validate_5000 import machine, run_cli  # noqa: E402

OUT = PROJECT_ROOT / "bench" / "out" / "plan_noop.json"
TARGET_S = 1.0
PUSH_TARGET_S = 0.3


def seed(repo: Path, url: str) -> int:
    """Record every unit of ``repo``'s head as applied; returns how many."""
    from reconciler.desired.build import build_desired
    from reconciler.desired.rendering import pending_source, render_unit
    from reconciler.render import Renderer, synthesize_outputs
    from reconciler.source.git import GitSource
    from reconciler.state import StateStore
    from reconciler.state.units import Condition, UnitRecord

    snapshot = GitSource.open(repo).snapshot("HEAD")
    build = build_desired(snapshot)
    if build.errors:
        sys.exit(f"the generated repo has errors: {build.errors[:3]}")
    renderer = Renderer()
    outputs: dict[str, dict[str, str]] = {}
    now = datetime.now(UTC)
    records = []
    for unit_id in build.state.order:
        unit = build.state.units[unit_id]
        rendered = render_unit(unit, build.state, renderer, pending_source(outputs))
        if rendered.pending:
            sys.exit(f"{unit_id} still waits for {rendered.pending}")
        made = synthesize_outputs(
            rendered.body,
            account_id=unit.target.id,
            region=unit.target.region,
            stack_name=unit.stack_name,
        )
        # An output-less stack still has outputs known (none), not "known after apply".
        outputs[unit_id] = {k: str(v) for k, v in made.items()} or {"Stack": unit.stack_name}
        records.append(
            UnitRecord(
                id=unit.id,
                kind=unit.kind,
                stack_name=unit.stack_name,
                account=unit.target.id,
                region=unit.target.region,
                template=unit.template,
                version=unit.version.version,
                updated_at=now,
                fingerprint=rendered.fingerprint(),
                stack_id=f"arn:aws:cloudformation:{unit.target.region}:{unit.target.id}:"
                f"stack/{unit.stack_name}/00000000-0000-4000-8000-000000000000",
                outputs=outputs[unit_id],
                conditions=(Condition("Ready", True, "Applied", "up to date", now),),
                last_attempted_revision=snapshot.revision,
                last_applied_revision=snapshot.revision,
            )
        )
    with StateStore.open(url) as store:
        store.save_units(records)
    return len(records)


def push_plans(repo: Path, url: str, changes: int) -> dict[str, Any]:
    """One service file changed per commit, each read and planned as ``serve`` does."""
    import structlog

    from bench.generate_repo import GitRepo
    from goldenpath.noop_mark import OfflineCloud
    from reconciler.apply.engine import Reconciler
    from reconciler.caching import committed_snapshot
    from reconciler.source.git import GitSource
    from reconciler.specs.memo import ContentMemo
    from reconciler.state import StateStore

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(30))
    service = next(
        p for p in sorted((repo / "services").glob("app-*.yaml")) if "port: 8000" in p.read_text()
    )
    original = service.read_text()
    git = GitRepo(repo)
    times, changed = [], []
    with StateStore.open(url) as store:
        source = GitSource.open(repo)
        engine = Reconciler(store, OfflineCloud(), memo=ContentMemo())

        def planned() -> tuple[float, list[str]]:
            started = time.perf_counter()
            plan = engine.plan(committed_snapshot(source, "HEAD", store)).plan
            took = time.perf_counter() - started
            return took, [u.unit_id for u in plan.units if u.action != "noop"]

        first, _ = planned()
        try:
            for number in range(changes):
                service.write_text(original.replace("port: 8000", f"port: {9000 + number}"))
                git.commit(f"{service.stem}: port {9000 + number}")
                took, moved = planned()
                times.append(round(took, 3))
                changed.append(moved)
        finally:
            service.write_text(original)
            git.commit(f"{service.stem}: port 8000 again")
    return {
        "first_plan_s": round(first, 3),
        "median_s": statistics.median(times),
        "all_s": times,
        "units_changed": changed[-1] if changed else [],
        "target_s": PUSH_TARGET_S,
    }


def closed_port() -> int:
    """A loopback port nothing listens on: a connection there is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--work", type=Path, help="where the repo and database go")
    parser.add_argument("--push-changes", type=int, default=5)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="goldenpath-plan-"))
    work.mkdir(parents=True, exist_ok=True)
    repo = work / f"repo-{args.instances}"
    generate_platform(repo, Size(instances=args.instances))
    state = work / "state.db"
    state.unlink(missing_ok=True)
    url = f"sqlite:///{state}"
    units = seed(repo, url)
    endpoint = f"http://127.0.0.1:{closed_port()}"
    runs = []
    for _ in range(args.runs):
        run, out = run_cli(
            "plan",
            str(repo),
            "--output",
            "json",
            "--state",
            url,
            "--aws-endpoint-url",
            endpoint,
            "--cloud",
            "aws",
        )
        plan = json.loads(out)
        if run.code != 0 or plan["summary"]["noop"] != units:
            sys.exit(f"not a no-op (exit {run.code}): {plan.get('summary')}")
        runs.append(run)
    result: dict[str, Any] = {
        "machine": machine(),
        "instances": args.instances,
        "units": units,
        "first_run": runs[0].__dict__,
        "later_runs_median_wall_s": round(statistics.median(r.wall_s for r in runs[1:]), 3)
        if len(runs) > 1
        else None,
        "median_wall_s": round(statistics.median(r.wall_s for r in runs), 3),
        "all": [r.__dict__ for r in runs],
        "aws_calls": 0,  # any call would have met a closed port and failed the run
        "target_s": TARGET_S,
        "push": push_plans(repo, url, args.push_changes),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    main()
