"""What guardrails cost ``goldenpath validate --no-lint`` on 5,000 service instances.

The generated platform repo (``bench/generate_repo.py``) is validated cold (a fresh state
database every run) without a ``policies/`` folder, then with the example platform's
Pizza&Ananas policies committed into it (every rendered body is parsed and judged), then
once more on the same database (every result comes from the cache). Figures are medians
of ``--runs`` real ``goldenpath`` subprocesses, wall and CPU seconds; the cost per body
is the difference over the number of rendered bodies (units).

    .venv/bin/python bench/guardrails_5000.py [--runs 3] [--instances 5000]

Target (issue 10): at most 10 ms a rendered body on a cold run; nothing on a cached one.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from bench.generate_repo import Size, generate_platform  # noqa: E402
from bench.validate_5000 import Run, run_cli  # noqa: E402

OUT = PROJECT_ROOT / "bench" / "out" / "guardrails_5000.json"
POLICIES = PROJECT_ROOT / "platform-repo-example" / "policies"
TARGET_MS_PER_BODY = 10.0


def validate(repo: Path, state: Path) -> tuple[Run, dict[str, Any]]:
    run, out = run_cli(
        "validate", str(repo), "--no-lint", "--output", "json", "--state", f"sqlite:///{state}"
    )
    return run, json.loads(out)


def median(runs: list[Run], field: str) -> float:
    return round(statistics.median(getattr(r, field) for r in runs), 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--instances", type=int, default=Size.instances)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="gp-guardrails-"))
    repo = work / "platform"
    generate_platform(repo, Size(instances=args.instances))
    figures: dict[str, Any] = {"instances": args.instances}

    def cold(label: str) -> list[Run]:
        runs = []
        for number in range(args.runs):
            state = work / f"{label}-{number}.db"
            state.unlink(missing_ok=True)
            run, document = validate(repo, state)
            runs.append(run)
            figures["units"] = len(document["units"])
        return runs

    without = cold("without")
    shutil.copytree(POLICIES, repo / "policies")
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run(
        ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "-qm",
         "the Pizza&Ananas guardrails"],
        cwd=repo, check=True,
    )
    with_policies = cold("with")
    # Cached: the same database again (lint off; the content memo and the verdicts kept).
    warm_state = work / "with-0.db"
    warm = [validate(repo, warm_state)[0] for _ in range(args.runs)]
    # Cached results, but every unit checked again: a fresh memo over the kept verdicts.
    units = figures["units"]
    for name, runs in (("without_policies", without), ("with_policies", with_policies),
                       ("with_policies_second_run", warm)):
        figures[name] = {
            "median_wall_s": median(runs, "wall_s"),
            "median_cpu_s": median(runs, "cpu_s"),
            "max_peak_mb": max(r.peak_mb for r in runs),
        }
    for clock in ("wall", "cpu"):
        added = figures["with_policies"][f"median_{clock}_s"] - figures["without_policies"][
            f"median_{clock}_s"
        ]
        figures[f"added_{clock}_ms_per_body"] = round(added * 1000 / units, 3)
    figures["target_ms_per_body"] = TARGET_MS_PER_BODY
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
