"""Start-up time and memory of ``goldenpath emulator`` while it serves 200 stacks.

Measures, against a real standalone process over HTTP:

- start-up: from ``exec`` to the first answer of ``/_goldenpath/health`` (target: < 3 s),
  and until moto is loaded (``"loaded": true``; a request meanwhile waits for it);
- footprint: the process's resident memory (``VmRSS``) after every 25 stacks, while it
  creates the tutorial's environment and then service-instance stacks until there are 200,
  so "flat memory" can be judged as megabytes per stack;
- a clean stop on SIGTERM.

Run: ``.venv/bin/python bench/emulator_footprint.py [--stacks 200]``. Prints a table.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3
import httpx

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = (
    ROOT.parent / "shared" / "proton-corpus" / "tutorial" / "vpc-ecscluster-lb-fargate-tutorial"
)
REGION = "us-west-2"
SAMPLE_EVERY = 25
STACKS_PER_ENVIRONMENT = 50
STARTUP_LIMIT_SECONDS = 60.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def command(port: int) -> list[str]:
    script = shutil.which("goldenpath", path=str(Path(sys.executable).parent))
    if script:
        return [script, "emulator", "--port", str(port)]
    return [sys.executable, "-c", f"import emulator; emulator.run(port={port})"]


def start(port: int) -> tuple[subprocess.Popen[bytes], float, float]:
    """The process, seconds until it answered /health, seconds until moto was loaded."""
    began = time.perf_counter()
    process = subprocess.Popen(
        command(port), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}/_goldenpath/health"
    answered = 0.0
    while time.perf_counter() - began < STARTUP_LIMIT_SECONDS:
        try:
            health = httpx.get(url, timeout=0.5).json()
        except httpx.HTTPError:
            time.sleep(0.01)
            continue
        answered = answered or time.perf_counter() - began
        if health["loaded"]:
            return process, answered, time.perf_counter() - began
        time.sleep(0.01)
    process.kill()
    raise RuntimeError("the emulator did not start")


def render_tutorial() -> tuple[Any, Any]:
    """Renderers for the tutorial environment and service instance (reconciler.render)."""
    from reconciler.render import (
        EnvironmentInfo,
        Renderer,
        ServiceInfo,
        environment_context,
        service_instance_context,
    )
    from reconciler.specs.model import Origin
    from reconciler.templates.bundle import read_bundle_dir
    from reconciler.templates.inputs import check_inputs

    renderer = Renderer()
    env_bundle = read_bundle_dir(TUTORIAL / "vpc-ecscluster-env" / "v1")
    svc_bundle = read_bundle_dir(TUTORIAL / "lb-fargate-svc" / "v1")
    env_inputs, _ = check_inputs(env_bundle.input_schemas["environment"], {}, origin=Origin("env"))
    svc_inputs, _ = check_inputs(svc_bundle.input_schemas["service"], {}, origin=Origin("svc"))

    def environment() -> str:
        context = environment_context(name="bench", account_id="123456789012", inputs=env_inputs)
        return renderer.render(env_bundle.infrastructure["infrastructure"], context)

    def instance(index: int, outputs: dict[str, str]) -> str:
        context = service_instance_context(
            service=ServiceInfo(name=f"svc{index}"),
            instance_name="bench",
            inputs=svc_inputs,
            environment=EnvironmentInfo("bench", "123456789012", outputs),
        )
        return renderer.render(svc_bundle.infrastructure["instance_infrastructure"], context)

    return environment, instance


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stacks", type=int, default=200)
    args = parser.parse_args()
    port = free_port()
    process, startup, loaded = start(port)
    environment, instance = render_tutorial()
    cfn = boto3.client(
        "cloudformation",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name=REGION,
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )
    caps = ["CAPABILITY_IAM"]
    idle = rss_mb(process.pid)
    samples: list[tuple[int, float, float]] = []
    outputs: dict[str, str] = {}
    first_answer = 0.0
    creating = time.perf_counter()
    for index in range(args.stacks):
        # A security group takes 60 rules, as in AWS: a new environment every 50 stacks.
        if index % STACKS_PER_ENVIRONMENT == 0:
            name, body = f"bench-env{index}", environment()
        else:
            name, body = f"svc{index}-bench", instance(index, outputs)
        began = time.perf_counter()
        cfn.create_stack(StackName=name, TemplateBody=body, Capabilities=caps)
        stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
        first_answer = first_answer or time.perf_counter() - began
        if stack["StackStatus"] != "CREATE_COMPLETE":
            events = cfn.describe_stack_events(StackName=name)["StackEvents"]
            reasons = [
                e.get("ResourceStatusReason") for e in events if "FAILED" in e["ResourceStatus"]
            ]
            raise RuntimeError(f"{name} is {stack['StackStatus']}: {reasons}")
        if index % STACKS_PER_ENVIRONMENT == 0:
            outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
        if (index + 1) % SAMPLE_EVERY == 0 or index == 0:
            samples.append((index + 1, rss_mb(process.pid), time.perf_counter() - creating))
    listed = time.perf_counter()
    summaries = cfn.get_paginator("list_stacks").paginate().build_full_result()["StackSummaries"]
    list_seconds = time.perf_counter() - listed
    process.send_signal(signal.SIGTERM)
    exit_code = process.wait(timeout=30)

    print(f"start-up to /health: {startup:.2f} s   (target < 3 s)")
    print(f"moto loaded (AWS requests served without waiting): {loaded:.2f} s")
    print(f"first CreateStack (the environment stack): {first_answer:.2f} s")
    print(f"idle RSS after start: {idle:.0f} MB")
    print()
    print("| stacks | RSS (MB) | seconds creating |")
    print("|---:|---:|---:|")
    for count, rss, seconds in samples:
        print(f"| {count} | {rss:.0f} | {seconds:.1f} |")
    (first_count, first_rss, _), (last_count, last_rss, last_seconds) = samples[1], samples[-1]
    per_stack = (last_rss - first_rss) / max(1, last_count - first_count)
    print()
    print(f"growth: {per_stack * 1024:.0f} KB per stack (16 resources in most)")
    print(f"create rate: {last_count / last_seconds:.1f} stacks/s")
    print(f"ListStacks of {len(summaries)} stacks: {list_seconds * 1000:.0f} ms")
    print(f"SIGTERM: exit code {exit_code}")
    print(
        json.dumps(
            {
                "startup_s": round(startup, 3),
                "loaded_s": round(loaded, 3),
                "rss_mb": samples,
                "exit": exit_code,
            }
        )
    )


if __name__ == "__main__":
    main()
