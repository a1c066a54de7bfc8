"""Running the emulator: in process, standalone with signals, and its admin endpoints."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import emulator
from emulator.server import EmbeddedEmulator
from tests.conftest import PROJECT_ROOT
from tests.emulator.probes import add_fault, admin, stack_of, template

# A standalone process has this long to start and answer /health (it takes ~2 s; the
# machine may be busy with other test runs).
STARTUP_LIMIT_SECONDS = 60.0
EXIT_LIMIT_SECONDS = 20.0


def test_public_surface_is_pinned() -> None:
    assert emulator.__all__ == [
        "FIXES",
        "SIMULATED_REASON_PREFIX",
        "EmbeddedEmulator",
        "EmulatorSettings",
        "Fault",
        "FaultError",
        "parse_fault",
        "parse_faults",
        "run",
        "start_embedded",
    ]
    for name in emulator.__all__:
        assert getattr(emulator, name) is not None


def test_importing_the_package_does_not_import_moto() -> None:
    code = "import sys, emulator; print(any(m.startswith('moto') for m in sys.modules))"
    answer = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT, check=True
    )
    assert answer.stdout.strip() == "False"


def test_embedded_emulator_serves_on_a_free_loopback_port_and_stops(cfn_template: str) -> None:
    with emulator.start_embedded() as cloud:
        host, port = cloud.url.removeprefix("http://").split(":")
        assert host == "127.0.0.1" and int(port) > 0
        assert httpx.get(f"{cloud.url}/_goldenpath/health").json()["status"] == "ok"
    with pytest.raises(OSError), socket.create_connection((host, int(port)), timeout=1):
        pass


def test_two_embedded_emulators_share_the_process_cloud(cloud: EmbeddedEmulator) -> None:
    import boto3

    with emulator.start_embedded() as second:
        keys = {"aws_access_key_id": "a", "aws_secret_access_key": "b", "region_name": "us-west-2"}
        first_cfn = boto3.client("cloudformation", endpoint_url=cloud.url, **keys)
        second_cfn = boto3.client("cloudformation", endpoint_url=second.url, **keys)
        name = f"shared-{time.monotonic_ns()}"
        first_cfn.create_stack(
            StackName=name, TemplateBody=template({"T": {"Type": "AWS::SNS::Topic"}})
        )
        assert stack_of(second_cfn, name)["StackStatus"] == "CREATE_COMPLETE"


@pytest.fixture
def cfn_template() -> str:
    return template({"Topic": {"Type": "AWS::SNS::Topic"}})


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _standalone(port: int, faults: str | None) -> subprocess.Popen[str]:
    env = {key: value for key, value in os.environ.items() if key != "MOTO_ACCOUNT_ID"}
    if faults is not None:
        env["GOLDENPATH_EMULATOR_FAULTS"] = faults
    code = f"import emulator; emulator.run(port={port})"
    return subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_until_up(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + STARTUP_LIMIT_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        try:
            httpx.get(f"{url}/_goldenpath/health", timeout=1).raise_for_status()
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError("the standalone emulator did not come up")


@pytest.fixture
def standalone() -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = _free_port()
    faults = json.dumps([{"kind": "delay", "operation": "create", "seconds": 2}])
    process = _standalone(port, faults)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process)
        yield url, process
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


@pytest.mark.slow
def test_standalone_emulator_reads_faults_from_the_environment_and_stops_on_sigterm(
    standalone: tuple[str, subprocess.Popen[str]],
) -> None:
    url, process = standalone
    [fault] = httpx.get(f"{url}/_goldenpath/faults").json()["faults"]
    assert (fault["kind"], fault["operation"], fault["seconds"]) == ("delay", "create", 2)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=EXIT_LIMIT_SECONDS)
    assert process.returncode == 0, err
    logged = out + err
    assert "emulator.ready" in logged and url in logged
    assert "emulator.stopping" in logged and "SIGTERM" in logged


def test_standalone_emulator_refuses_malformed_faults_clearly() -> None:
    process = _standalone(_free_port(), '[{"operation": "create"}]')
    _out, err = process.communicate(timeout=STARTUP_LIMIT_SECONDS)
    assert process.returncode != 0
    assert "GOLDENPATH_EMULATOR_FAULTS[0].kind: required, one of fail, delay" in err


# ---- admin endpoint errors --------------------------------------------------------------------


def test_unknown_admin_endpoint_is_404(cloud: EmbeddedEmulator) -> None:
    answer = admin(cloud, "GET", "nothing-here")
    assert answer.status_code == 404
    assert answer.json() == {"error": "no admin endpoint /_goldenpath/nothing-here"}


def test_malformed_fault_is_400_naming_the_field(cloud: EmbeddedEmulator) -> None:
    answer = admin(cloud, "POST", "faults", json={"kind": "fail", "operation": "crate"})
    assert answer.status_code == 400
    assert answer.json()["error"] == (
        "faults[0].operation: expected one of create, update, delete, got 'crate'"
    )
    not_json = admin(cloud, "POST", "faults", content=b"{oops")
    assert not_json.status_code == 400 and "not JSON" in not_json.json()["error"]


def test_oversized_admin_body_is_413(cloud: EmbeddedEmulator) -> None:
    answer = admin(cloud, "POST", "faults", content=b"[" + b" " * (1024 * 1024 + 1) + b"]")
    assert answer.status_code == 413


def test_one_fault_can_be_removed_by_id(cloud: EmbeddedEmulator) -> None:
    kept = add_fault(cloud, kind="fail", stackName="kept")
    gone = add_fault(cloud, kind="fail", stackName="gone")
    assert admin(cloud, "DELETE", f"faults/{gone['id']}").status_code == 200
    assert [f["id"] for f in admin(cloud, "GET", "faults").json()["faults"]] == [kept["id"]]
    assert admin(cloud, "DELETE", f"faults/{gone['id']}").status_code == 404
    assert admin(cloud, "PUT", "faults").status_code == 405


def test_health_names_the_moto_version(cloud: EmbeddedEmulator) -> None:
    cloud.wait_until_loaded()
    assert admin(cloud, "GET", "health").json() == {"status": "ok", "moto": "5.2.5", "loaded": True}


# ---- calls answered, by action --------------------------------------------------------------


def test_the_calls_answered_are_counted_by_action(
    cloud: EmbeddedEmulator, cfn: Any, client: Any, names: Any, cfn_template: str
) -> None:
    admin(cloud, "DELETE", "calls")
    name = names("counted")
    cfn.create_stack(StackName=name, TemplateBody=cfn_template)  # a form body (query API)
    cfn.describe_stacks(StackName=name)
    cfn.describe_stacks(StackName=name)
    client("sts").get_caller_identity()
    assert admin(cloud, "GET", "calls").json() == {
        "calls": {"CreateStack": 1, "DescribeStacks": 2, "GetCallerIdentity": 1}
    }
    # DELETE hands over the counts and starts again; admin requests are never counted.
    assert admin(cloud, "DELETE", "calls").json()["calls"]["DescribeStacks"] == 2
    assert admin(cloud, "GET", "calls").json() == {"calls": {}}
    assert admin(cloud, "POST", "calls").status_code == 405
