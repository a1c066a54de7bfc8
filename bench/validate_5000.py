"""``goldenpath validate`` on a generated platform repo of 5,000 service instances.

Measured, each as a real ``goldenpath`` subprocess (wall time, CPU time and peak RSS from
``os.wait4``), medians of ``--runs`` runs:

1. cold, render but no lint (``--no-lint``), a fresh state database every run;
2. with cfn-lint, first run (fresh database: every body is linted, in a process pool);
3. with cfn-lint, second run (same database: lint results and the content memo reused);
4. re-validation after ONE service file changes, no lint, at two repo sizes (1,000 and
   5,000 instances), both as a new process (memo read from the state store) and in a
   long-running process (in-process; memo, renderer and working tree kept between runs).

    .venv/bin/python bench/validate_5000.py                     # everything (lint: minutes)
    .venv/bin/python bench/validate_5000.py --skip-cold-lint    # without the slow first lint

Targets (DESIGN.md): cold no-lint < 5 s with peak memory < 300 MB; second lint run < 2 s;
one changed service file < 300 ms, not growing with the repo.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from bench.generate_repo import Size, generate_platform  # noqa: E402

GOLDENPATH = str(Path(sys.executable).parent / "goldenpath")
OUT = PROJECT_ROOT / "bench" / "out" / "validate_5000.json"
TARGETS = {
    "cold_no_lint_s": 5.0,
    "cold_no_lint_peak_mb": 300.0,
    "lint_second_run_s": 2.0,
    "one_change_s": 0.3,
}


@dataclass(frozen=True)
class Run:
    wall_s: float
    cpu_s: float
    peak_mb: float
    code: int


def run_cli(*args: str) -> tuple[Run, str]:
    """One ``goldenpath`` subprocess: its figures and its stdout."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [GOLDENPATH, *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert process.stdout is not None
    out = process.stdout.read().decode()
    _pid, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    run = Run(
        round(wall, 3),
        round(usage.ru_utime + usage.ru_stime, 3),
        round(usage.ru_maxrss / 1024, 1),
        process.returncode,
    )
    return run, out


def summary(runs: list[Run]) -> dict[str, Any]:
    return {
        "runs": len(runs),
        "median_wall_s": round(statistics.median(r.wall_s for r in runs), 3),
        "median_cpu_s": round(statistics.median(r.cpu_s for r in runs), 3),
        "max_peak_mb": max(r.peak_mb for r in runs),
        "all": [asdict(r) for r in runs],
    }


def validate(repo: Path, state: Path, *extra: str) -> Run:
    run, out = run_cli(
        "validate", str(repo), "--output", "json", "--state", f"sqlite:///{state}", *extra
    )
    ok = json.loads(out)["ok"] if out else False
    if run.code != 0 or not ok:
        sys.exit(f"validate failed on {repo} (exit {run.code})")
    return run


def cold_no_lint(repo: Path, work: Path, runs: int) -> dict[str, Any]:
    results = []
    for i in range(runs):
        state = work / f"cold-{i}.db"
        state.unlink(missing_ok=True)
        results.append(validate(repo, state, "--no-lint"))
    return summary(results)


def lint_runs(repo: Path, work: Path, runs: int, cold: bool) -> dict[str, Any]:
    state = work / "lint.db"
    out: dict[str, Any] = {}
    if cold:
        state.unlink(missing_ok=True)
        out["first_run"] = summary([validate(repo, state)])
    else:
        # Without the cold lint, the second run still needs the lint results kept:
        # make them with a first run anyway, but do not report it.
        validate(repo, state)
    out["second_run"] = summary([validate(repo, state) for _ in range(runs)])
    return out


def changed_service(repo: Path) -> Path:
    """A compute service of the generated repo (it has a port to change)."""
    return next(
        p for p in sorted((repo / "services").glob("app-*.yaml")) if "port: 8000" in p.read_text()
    )


def one_change_cli(repo: Path, work: Path, runs: int) -> dict[str, Any]:
    state = work / f"incremental-{repo.name}.db"
    state.unlink(missing_ok=True)
    validate(repo, state, "--no-lint")  # the run before the push
    path = changed_service(repo)
    original = path.read_text()
    results = []
    try:
        for i in range(runs):
            path.write_text(original.replace("port: 8000", f"port: {9000 + i}"))
            results.append(validate(repo, state, "--no-lint"))
    finally:
        path.write_text(original)
    baseline = [run_cli("validate", "--help")[0] for _ in range(runs)]
    return {
        **summary(results),
        "startup_median_wall_s": round(statistics.median(r.wall_s for r in baseline), 3),
    }


def one_change_live(repo: Path, runs: int, *, watch: bool = False) -> dict[str, Any]:
    """In one process that keeps its memo and working tree, as a long-running one does.

    The kept ``WorkingTree`` stats every file at each snapshot and reads only the changed
    ones (``watch``: a watcher tells it which paths changed, and only those are looked
    at); the memo holds the last build and validation, so only the delta is redone. The
    time runs from the write of the file to the validation's result.
    """
    import structlog

    from reconciler.render import Renderer
    from reconciler.source.worktree import WorkingTree
    from reconciler.specs.memo import ContentMemo
    from reconciler.validation import validate_snapshot

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(30))
    memo, renderer, tree = ContentMemo(), Renderer(), WorkingTree(repo, watch=watch)

    def once(started: float | None = None, cpu: float | None = None) -> tuple[float, float, int]:
        memo.hits = memo.misses = 0
        if started is None or cpu is None:
            started, cpu = time.perf_counter(), time.process_time()
        result = validate_snapshot(tree.snapshot(), renderer=renderer, memo=memo)
        memo.end_run()
        assert result.ok
        return time.perf_counter() - started, time.process_time() - cpu, memo.misses

    once()
    path = changed_service(repo)
    original = path.read_text()
    times, cpus, redone = [], [], []
    try:
        for i in range(runs):
            started, cpu = time.perf_counter(), time.process_time()
            path.write_text(original.replace("port: 8000", f"port: {9000 + i}"))
            took, cpu, misses = once(started, cpu)
            times.append(took)
            cpus.append(cpu)
            redone.append(misses)
    finally:
        path.write_text(original)
        tree.close()
    return {
        "runs": runs,
        "median_s": round(statistics.median(times), 4),
        "median_cpu_s": round(statistics.median(cpus), 4),
        "all_s": [round(t, 4) for t in times],
        "entries_redone": redone,
    }


def machine() -> dict[str, Any]:
    load = os.getloadavg()
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "load_average_at_start": [round(x, 2) for x in load],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", type=int, default=5000)
    parser.add_argument("--small", type=int, default=1000, help="the smaller repo of step 4")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-cold-lint", action="store_true")
    parser.add_argument("--work", type=Path, help="where repos and databases go (a temp dir)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="goldenpath-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    big = work / f"repo-{args.instances}"
    small = work / f"repo-{args.small}"
    generate_platform(big, Size(instances=args.instances))
    generate_platform(small, Size(instances=args.small))
    result: dict[str, Any] = {"machine": machine(), "instances": args.instances}
    result["cold_no_lint"] = cold_no_lint(big, work, args.runs)
    print("cold, no lint:", result["cold_no_lint"]["median_wall_s"], "s", flush=True)
    result["lint"] = lint_runs(big, work, args.runs, cold=not args.skip_cold_lint)
    print("lint:", {k: v["median_wall_s"] for k, v in result["lint"].items()}, flush=True)
    result["one_change"] = {
        str(n): {
            "cli": one_change_cli(repo, work, args.runs),
            "live": one_change_live(repo, args.runs),
            "live_watched": one_change_live(repo, args.runs, watch=True),
        }
        for n, repo in ((args.small, small), (args.instances, big))
    }
    result["targets"] = TARGETS
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items()}, indent=2))


if __name__ == "__main__":
    main()
