"""Load generators for ``bench/webhooks_throughput.py``: wrk, or a Python client.

Both send the same signed GitHub push delivery over keep-alive connections, each request
with its own ``X-GitHub-Delivery`` id (``<prefix>-<connection or thread>-<n>``), for a
fixed time, and report the same figures: requests answered, their statuses, latency
percentiles, and the CPU seconds the generator itself used (so that a saturated client
can be told apart from a saturated server on a shared machine).

wrk (Debian package ``wrk``) is a C program and costs a fraction of a core at these
rates; the Python client (asyncio on raw sockets, uvloop when installed) is the
fallback where wrk is not installed.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

WRK_SCRIPT = r"""
-- Signed GitHub push deliveries, each with its own delivery id; statuses counted.
local threads = {}
local counter = 0
local body, signature, prefix

function setup(thread)
  table.insert(threads, thread)
  thread:set("number", #threads)
end

function init(args)
  local file = assert(io.open(args[1], "rb"))
  body = file:read("*a")
  file:close()
  signature = args[2]
  prefix = args[3] .. "-" .. number .. "-"
  statuses = {}
end

function request()
  counter = counter + 1
  return wrk.format("POST", "/webhooks/github", {
    ["Content-Type"] = "application/json",
    ["User-Agent"] = "GitHub-Hookshot/bench",
    ["X-GitHub-Event"] = "push",
    ["X-GitHub-Delivery"] = prefix .. counter,
    ["X-Hub-Signature-256"] = signature,
  }, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      counts[tostring(status)] = (counts[tostring(status)] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(counts) do
    table.insert(parts, string.format('"%s": %d', status, n))
  end
  local e = summary.errors
  io.write(string.format(
    'WRK-RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}, ' ..
    '"statuses": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, e.connect, e.read, e.write, e.timeout, table.concat(parts, ", ")))
end
"""


@dataclass
class LoadResult:
    """What one run of a load generator measured."""

    client: str  # "wrk" or "python"
    seconds: float  # how long requests were sent
    statuses: dict[str, int]  # answers by HTTP status
    p50_ms: float
    p99_ms: float
    max_ms: float
    client_cpu_s: float  # CPU seconds (user + system) the generator used
    errors: dict[str, int] = field(default_factory=dict)  # socket errors, wrk's kinds

    @property
    def answered(self) -> int:
        return sum(self.statuses.values())

    def per_second(self, status: str) -> float:
        return self.statuses.get(status, 0) / self.seconds


@dataclass(frozen=True)
class Load:
    """The deliveries to send and how hard."""

    port: int
    body: Path  # the signed push delivery's body
    signature: str  # its X-Hub-Signature-256
    prefix: str  # delivery ids start with it; unique per run
    connections: int
    seconds: float
    threads: int = 1  # wrk threads


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def run_wrk(load: Load, work: Path, cpu: int | None = None) -> LoadResult:
    script = work / "deliveries.lua"
    script.write_text(WRK_SCRIPT)
    command = [
        "wrk",
        f"-t{load.threads}",
        f"-c{load.connections}",
        f"-d{max(1, round(load.seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        f"http://127.0.0.1:{load.port}",
        "--",
        str(load.body),
        load.signature,
        load.prefix,
    ]
    output, cpu_s = _run_measured(command, cpu)
    line = next((x for x in output.splitlines() if x.startswith("WRK-RESULT ")), None)
    if line is None:
        raise SystemExit(f"wrk gave no result:\n{output}")
    found: dict[str, Any] = json.loads(line.removeprefix("WRK-RESULT "))
    return LoadResult(
        client="wrk",
        seconds=found["duration_us"] / 1e6,
        statuses={k: int(v) for k, v in found["statuses"].items()},
        p50_ms=found["p50_us"] / 1000,
        p99_ms=found["p99_us"] / 1000,
        max_ms=found["max_us"] / 1000,
        client_cpu_s=cpu_s,
        errors={k: v for k, v in found["errors"].items() if v},
    )


def run_python(load: Load, cpu: int | None = None) -> LoadResult:
    """The asyncio client below, in a process of its own so its CPU time is its own."""
    command = [
        sys.executable,
        __file__,
        str(load.port),
        str(load.body),
        load.signature,
        load.prefix,
        str(load.connections),
        str(load.seconds),
    ]
    output, cpu_s = _run_measured(command, cpu)
    found: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return LoadResult(client="python", client_cpu_s=cpu_s, **found)


def _run_measured(command: list[str], cpu: int | None) -> tuple[str, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    if cpu is not None:
        os.sched_setaffinity(process.pid, {cpu})
    output, _ = process.communicate()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if process.returncode != 0:
        raise SystemExit(f"{command[0]} exited with {process.returncode}:\n{output}")
    cpu_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return output, cpu_s


# -- the Python client (run as ``python bench/webhook_load.py PORT BODY SIG PREFIX C S``) ----


async def _connection(
    port: int, head: bytes, body: bytes, number: int, until: float, found: dict[str, Any]
) -> None:
    import asyncio

    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    sent = 0
    try:
        while time.perf_counter() < until:
            sent += 1
            delivery = f"{number}-{sent}".encode()
            started = time.perf_counter()
            writer.write(head.replace(b"{delivery}", delivery) + body)
            status = await _read_answer(reader)
            found["latencies"].append(time.perf_counter() - started)
            found["statuses"][status] = found["statuses"].get(status, 0) + 1
    except (OSError, asyncio.IncompleteReadError):
        found["errors"]["read"] = found["errors"].get("read", 0) + 1
    finally:
        writer.close()


async def _read_answer(reader: Any) -> str:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    length = 0
    for line in lines[1:]:
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    await reader.readexactly(length)
    return lines[0].split()[1].decode()


async def _drive(port: int, body: bytes, signature: str, prefix: str, c: int, s: float) -> None:
    import asyncio

    head = (
        "POST /webhooks/github HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/json\r\nUser-Agent: GitHub-Hookshot/bench\r\n"
        f"X-GitHub-Event: push\r\nX-GitHub-Delivery: {prefix}-{{delivery}}\r\n"
        f"X-Hub-Signature-256: {signature}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    found: dict[str, Any] = {"latencies": [], "statuses": {}, "errors": {}}
    started = time.perf_counter()
    until = started + s
    await asyncio.gather(*(_connection(port, head, body, n, until, found) for n in range(1, c + 1)))
    elapsed = time.perf_counter() - started
    latencies = sorted(found["latencies"]) or [0.0]

    def at(fraction: float) -> float:
        return round(latencies[min(int(len(latencies) * fraction), len(latencies) - 1)] * 1000, 2)

    print(
        json.dumps(
            {
                "seconds": elapsed,
                "statuses": found["statuses"],
                "p50_ms": at(0.5),
                "p99_ms": at(0.99),
                "max_ms": round(latencies[-1] * 1000, 2),
                "errors": found["errors"],
            }
        )
    )


def _main(argv: list[str]) -> None:
    import asyncio

    port, body, signature, prefix, connections, seconds = argv
    drive = _drive(
        int(port), Path(body).read_bytes(), signature, prefix, int(connections), float(seconds)
    )
    try:
        import uvloop
    except ImportError:
        asyncio.run(drive)
    else:
        uvloop.run(drive)


if __name__ == "__main__":
    _main(sys.argv[1:])
