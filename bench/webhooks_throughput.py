"""Signed webhook deliveries per second through the receiver, and their latency.

The receiver runs as one uvicorn worker in a subprocess on loopback (pinned to one core
with --pin); this process drives it over a few keep-alive connections with real payloads
from ../shared/webhook-payloads (a GitHub push, a GitHub pull_request, a GitLab merge
request), each signed and carrying a fresh delivery id, so every one is verified, parsed,
de-duplicated and enqueued. A drain thread in the server empties the queue, standing in
for the reconciler.

    .venv/bin/python bench/webhooks_throughput.py                # 20,000 deliveries
    .venv/bin/python bench/webhooks_throughput.py --pin --requests 50000 --connections 8

Target (DESIGN.md, issue 5): at least 1,500 deliveries/s, p99 under 20 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PAYLOADS = PROJECT_ROOT.parent / "shared" / "webhook-payloads"
OUT = PROJECT_ROOT / "bench" / "out" / "webhooks_throughput.json"
SECRET = "bench-secret"
TARGET_PER_S = 1500
TARGET_P99_MS = 20.0
READY_TIMEOUT_S = 20.0
WARMUP_REQUESTS = 1000
QUEUE_CAPACITY = 100_000
REMEMBERED = 1_000_000


# -- the server side (run with --serve) ---------------------------------------------------


def serve(port: int, log_level: str) -> None:
    import logging

    import structlog
    import uvicorn

    from reconciler.events import EventQueue
    from webhooks.deliveries import RecentDeliveries
    from webhooks.receiver import create_app
    from webhooks.settings import ReceiverSettings, WebhookSecrets

    # Production-like logs: one JSON line per delivery at info, written to stderr.
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, log_level.upper())),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )
    queue = EventQueue(QUEUE_CAPACITY)

    def drain() -> None:
        while True:
            queue.get(timeout=1.0)

    threading.Thread(target=drain, daemon=True).start()
    settings = ReceiverSettings(secrets=WebhookSecrets(default=SECRET), branch="master")
    app = create_app(settings, queue, RecentDeliveries(REMEMBERED))
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        workers=1,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
    )


# -- the driving side ------------------------------------------------------------------------


def deliveries() -> list[tuple[str, bytes, str]]:
    """(path, body, header template with {delivery}) for each payload kind."""
    from webhooks.github import signature

    if not PAYLOADS.exists():
        sys.exit(f"{PAYLOADS} is absent: the shared payloads live in ../shared")
    kinds = []
    for event, name in (
        ("push", "github/push.with-new-branch.payload.json"),
        ("pull_request", "github/pull_request.synchronize.payload.json"),
    ):
        body = (PAYLOADS / name).read_bytes()
        headers = (
            f"X-GitHub-Event: {event}\r\nX-GitHub-Delivery: {{delivery}}\r\n"
            f"X-Hub-Signature-256: {signature(SECRET, body)}\r\n"
        )
        kinds.append(("/webhooks/github", body, headers))
    body = (PAYLOADS / "gitlab/merge_request.json").read_bytes()
    headers = (
        f"X-Gitlab-Event: Merge Request Hook\r\nX-Gitlab-Event-UUID: {{delivery}}\r\n"
        f"X-Gitlab-Token: {SECRET}\r\n"
    )
    kinds.append(("/webhooks/gitlab", body, headers))
    return kinds


def request_bytes(path: str, body: bytes, headers: str) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n{headers.format(delivery=uuid.uuid4())}\r\n"
    )
    return head.encode() + body


async def read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    await reader.readexactly(length)
    return status


async def connection(
    port: int,
    count: int,
    kinds: list[tuple[str, bytes, str]],
    latencies: list[float],
    statuses: dict[int, int],
    offset: int,
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for i in range(count):
        path, body, headers = kinds[(i + offset) % len(kinds)]
        payload = request_bytes(path, body, headers)
        started = time.perf_counter()
        writer.write(payload)
        status = await read_response(reader)
        latencies.append(time.perf_counter() - started)
        statuses[status] = statuses.get(status, 0) + 1
    writer.close()
    await writer.wait_closed()


async def drive(
    port: int, requests: int, connections: int
) -> tuple[float, list[float], dict[int, int]]:
    kinds = deliveries()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    per_connection = requests // connections
    started = time.perf_counter()
    await asyncio.gather(
        *(
            connection(port, per_connection, kinds, latencies, statuses, n)
            for n in range(connections)
        )
    )
    return time.perf_counter() - started, latencies, statuses


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_ready(port: int) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit("the receiver did not start")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * fraction), len(ordered) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--log-level", default="info", help="receiver log level (info, warning)")
    parser.add_argument("--pin", action="store_true", help="pin server to CPU 0, driver to 1")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.log_level)
        return

    port = free_port()
    command = [sys.executable, __file__, "--serve", str(port), "--log-level", args.log_level]
    server = subprocess.Popen(command, stderr=subprocess.DEVNULL, cwd=PROJECT_ROOT)
    try:
        if args.pin:
            os.sched_setaffinity(server.pid, {0})
            os.sched_setaffinity(0, {1})
        wait_ready(port)
        asyncio.run(drive(port, WARMUP_REQUESTS, args.connections))
        elapsed, latencies, statuses = asyncio.run(drive(port, args.requests, args.connections))
    finally:
        server.terminate()
        server.wait()

    per_s = len(latencies) / elapsed
    result = {
        "deliveries": len(latencies),
        "connections": args.connections,
        "log_level": args.log_level,
        "pinned": args.pin,
        "seconds": round(elapsed, 3),
        "per_second": round(per_s),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "max_ms": round(max(latencies) * 1000, 2),
        "statuses": statuses,
        "load_average": os.getloadavg(),
        "cpus": os.cpu_count(),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    met = per_s >= TARGET_PER_S and result["p99_ms"] < TARGET_P99_MS
    print(f"target ≥{TARGET_PER_S}/s and p99 <{TARGET_P99_MS} ms: {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
