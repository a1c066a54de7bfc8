"""What a drift pass over N stacks costs, in AWS calls and time, against the emulator.

N small stacks (a queue and a topic each) are created in one account of an embedded
emulator, through the engine's cloud edge (an assumed role, as in production). Then:

1. **Raw pass**: every stack checked once, back to back, with no budget — the two steps of
   ``reconciler.drift.checker.StackCheck`` (DescribeStacks, GetTemplate, DetectStackDrift;
   then the detection's status and, for drifted stacks, DescribeStackResourceDrifts). A
   tenth of the stacks drifted first: half by another client's UpdateStack, half by a
   resource drift declared through the emulator's admin API. Reports calls by operation,
   calls per stack, wall seconds and milliseconds per stack, and that every drift was found.
2. **Budgeted pass**: the same N stacks through ``DriftSchedule`` and ``CallBudget`` as the
   drift watch drives them, on a fake clock (nothing sleeps), at ``--calls-per-minute``
   for one account: how long the pass takes in (fake) minutes, and the most calls any
   60 s and any 10 s window saw.

    .venv/bin/python bench/drift_pass.py                 # N = 1000
    .venv/bin/python bench/drift_pass.py --stacks 200 --calls-per-minute 120
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

import httpx  # noqa: E402

import emulator  # noqa: E402
from reconciler.cloud import (  # noqa: E402
    AccessKey,
    AwsCloud,
    CloudSettings,
    StackRef,
    StackRequest,
    Target,
    WaitSchedule,
)
from reconciler.drift.checker import Pending, StackCheck, Watched  # noqa: E402
from reconciler.drift.findings import judge  # noqa: E402
from reconciler.drift.schedule import BURST_WINDOW, MINUTE, CallBudget, DriftSchedule  # noqa: E402

OUT = PROJECT_ROOT / "bench" / "out" / "drift_pass.json"
ACCOUNT = "777777777777"
BODY = """AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      DelaySeconds: 1
  Topic:
    Type: AWS::SNS::Topic
Outputs:
  QueueUrl:
    Value: !Ref Queue
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stacks", type=int, default=1000)
    parser.add_argument("--calls-per-minute", type=int, default=60)
    parser.add_argument("--interval", type=float, default=600.0, help="seconds")
    args = parser.parse_args()
    with emulator.start_embedded() as running:
        cloud = AwsCloud(
            CloudSettings(
                endpoint_url=running.url,
                access_key=AccessKey("testing", "testing"),
                wait=WaitSchedule(first_interval=0.2, max_interval=2.0, timeout=1800.0),
            )
        )
        target = Target(ACCOUNT, "us-west-2", f"arn:aws:iam::{ACCOUNT}:role/goldenpath-deployer")
        names = [f"drift-bench-{n:05d}" for n in range(args.stacks)]
        started = time.perf_counter()
        deploy(cloud, target, names)
        print(f"created {len(names)} stacks in {time.perf_counter() - started:.1f} s")
        outputs = {name: dict(state.outputs) for name, state in cloud.stacks(target).items()}
        drifted = drift_some(running.url, cloud, target, names)
        raw = raw_pass(cloud, target, names, drifted, outputs)
    budgeted = budgeted_pass(
        args.stacks, raw["calls_per_stack"], args.calls_per_minute, args.interval
    )
    result = {"stacks": args.stacks, "raw": raw, "budgeted": budgeted}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


def deploy(cloud: AwsCloud, target: Target, names: list[str]) -> None:
    def create(name: str) -> None:
        cloud.create(target, StackRequest(name, BODY), f"create-{name}")

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(create, names))
    cloud.wait([StackRef(target, name) for name in names])


def drift_some(url: str, cloud: AwsCloud, target: Target, names: list[str]) -> dict[str, str]:
    """A tenth of the stacks drift: even ones by UpdateStack, odd ones by a declared drift."""
    drifted: dict[str, str] = {}
    for index, name in enumerate(names[:: max(1, 10)][: len(names) // 10]):
        if index % 2 == 0:
            changed = BODY.replace("DelaySeconds: 1", "DelaySeconds: 5")
            cloud.update(target, StackRequest(name, changed), f"by-hand-{name}")
            drifted[name] = "TemplateChanged"
        else:
            answer = httpx.post(
                f"{url}/_goldenpath/drift",
                json={"stackName": name, "account": ACCOUNT, "logicalResourceId": "Topic"},
            )
            answer.raise_for_status()
            drifted[name] = "ResourcesDrifted"
    cloud.wait([StackRef(target, name) for name in drifted])
    return drifted


def raw_pass(
    cloud: AwsCloud,
    target: Target,
    names: list[str],
    drifted: dict[str, str],
    outputs: dict[str, dict[str, str]],
) -> dict[str, Any]:
    check = StackCheck(cloud)
    before = Counter(cloud.api_calls())
    found: dict[str, str] = {}
    started = time.perf_counter()
    cpu = time.process_time()
    for name in names:
        watched = Watched(name, name, target, "f", BODY, outputs[name], False, False)
        seen = check.begin(watched, time.time())
        while isinstance(seen, Pending):
            seen = check.finish(seen, time.time(), 300.0)
        assert seen is not None, f"{name} was busy"
        finding = judge(seen)
        if finding is not None:
            found[name] = finding.reason
    wall = time.perf_counter() - started
    calls = Counter(cloud.api_calls()) - before
    calls.pop("sts:AssumeRole", None)
    total = sum(calls.values())
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(time.process_time() - cpu, 2),
        "ms_per_stack": round(1000 * wall / len(names), 2),
        "calls": dict(sorted(calls.items())),
        "calls_total": total,
        "calls_per_stack": round(total / len(names), 2),
        "drifted": len(drifted),
        "found": len(found),
        "found_as_made": sum(1 for n, r in drifted.items() if found.get(n) == r),
        "false_findings": sorted(set(found) - set(drifted))[:5],
    }


def budgeted_pass(
    stacks: int, calls_per_stack: float, calls_per_minute: int, interval: float
) -> dict[str, Any]:
    """The watch's pacing on a fake clock: steps of 3 calls, then 1-2, per stack."""
    units = [f"service/s{n}/test" for n in range(stacks)]
    schedule, budget = DriftSchedule(interval), CallBudget(calls_per_minute, 3)
    schedule.due(units, 0.0)
    queue: list[str] = []
    waiting: list[tuple[float, str]] = []
    sent: list[tuple[float, int]] = []
    second = max(1, round(calls_per_stack - 3))
    now, done = 0.0, 0
    while done < stacks:
        now += 5.0
        if now <= interval:
            queue += schedule.due(units, now)
        for at, unit in list(waiting):
            if at <= now and budget.allows(ACCOUNT, second, now):
                waiting.remove((at, unit))
                budget.spend(ACCOUNT, second, now)
                sent.append((now, second))
                done += 1
        while queue and budget.allows(ACCOUNT, 3, now):
            waiting.append((now + 5.0, queue.pop(0)))
            budget.spend(ACCOUNT, 3, now)
            sent.append((now, 3))

    def most(window: float) -> int:
        return max(sum(n for at, n in sent if s <= at < s + window) for s, _n in sent)

    return {
        "calls_per_minute": calls_per_minute,
        "interval_s": interval,
        "pass_minutes": round(now / MINUTE, 1),
        "fits_interval": now <= interval + 10.0,
        "most_calls_in_60s": most(MINUTE),
        "most_calls_in_10s": most(BURST_WINDOW),
        "calls_per_minute_needed_for_interval": int(stacks * calls_per_stack / (interval / 60)) + 1,
    }


if __name__ == "__main__":
    raise SystemExit(main())
