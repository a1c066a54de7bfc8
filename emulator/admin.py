"""The emulator's own HTTP endpoints under ``/_goldenpath/``, beside moto's AWS APIs.

Tests and the demo use them to tell the emulator what to break and to ask what it only
pretends to run. All bodies are JSON; errors are ``{"error": "..."}`` with a 4xx status.

| method | path | does |
|---|---|---|
| GET | ``/_goldenpath/health`` | liveness, moto version, whether moto is loaded yet |
| GET | ``/_goldenpath/fixes`` | the moto fixes in force |
| GET, POST, DELETE | ``/_goldenpath/faults`` | list, add (object or list), clear faults |
| DELETE | ``/_goldenpath/faults/<id>`` | remove one fault |
| GET | ``/_goldenpath/simulated`` | simulated resources (``?stackName=&account=&region=``) |
| GET, POST, DELETE | ``/_goldenpath/drift`` | list, declare, clear out-of-band changes |
| GET, DELETE | ``/_goldenpath/calls`` | the AWS API calls answered, by action; DELETE also clears |
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from emulator.calls import CALLS, action_of
from emulator.faults import FAULTS, FaultError, parse_fault
from emulator.fixes import MOTO_VERSION, describe_fixes

PREFIX = "/_goldenpath/"
# Admin bodies are a few faults or drift marks; anything bigger is a mistake.
MAX_BODY_BYTES = 1024 * 1024

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

_REASONS = {
    200: "OK",
    201: "Created",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Payload Too Large",
}


class AdminError(Exception):
    """A request the admin API refuses; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _body(environ: dict[str, Any]) -> Any:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError as exc:
        raise AdminError(400, "Content-Length is not a number") from exc
    if length > MAX_BODY_BYTES:
        raise AdminError(413, f"body over {MAX_BODY_BYTES} bytes")
    raw = environ["wsgi.input"].read(length) if length else b""
    if not raw:
        raise AdminError(400, "expected a JSON body")
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise AdminError(400, f"body is not JSON: {exc.msg} at line {exc.lineno}") from exc


def _query(environ: dict[str, Any]) -> dict[str, str]:
    parsed = parse_qs(environ.get("QUERY_STRING", ""))
    return {key: values[-1] for key, values in parsed.items()}


def _faults(method: str, environ: dict[str, Any], fault_id: str) -> tuple[int, Any]:
    if fault_id:
        if method != "DELETE":
            raise AdminError(405, "a single fault can only be deleted")
        if not FAULTS.remove(fault_id):
            raise AdminError(404, f"no fault {fault_id!r}")
        return 200, {"faults": FAULTS.describe()}
    if method == "GET":
        return 200, {"faults": FAULTS.describe()}
    if method == "DELETE":
        FAULTS.clear()
        return 200, {"faults": []}
    if method == "POST":
        data = _body(environ)
        items = data if isinstance(data, list) else [data]
        try:
            faults = [parse_fault(item, f"faults[{index}]") for index, item in enumerate(items)]
        except FaultError as exc:
            raise AdminError(400, str(exc)) from exc
        added = FAULTS.add_all(faults)
        return 201, {"faults": [fault.to_json() for fault in added]}
    raise AdminError(405, f"{method} is not allowed on faults")


def _simulated(method: str, environ: dict[str, Any]) -> tuple[int, Any]:
    from emulator.stacks.directory import every_stack
    from emulator.stacks.ledger import ledger_of

    if method != "GET":
        raise AdminError(405, "simulated resources can only be listed")
    query = _query(environ)
    resources = []
    for entry in every_stack():
        if query.get("stackName") not in (None, entry.stack.name, entry.stack.stack_id):
            continue
        if query.get("account") not in (None, entry.account) or query.get("region") not in (
            None,
            entry.region,
        ):
            continue
        for state in list(ledger_of(entry.stack).resources.values()):
            if state.simulated:
                resources.append(
                    {
                        "account": entry.account,
                        "region": entry.region,
                        "stackName": entry.stack.name,
                        "stackId": entry.stack.stack_id,
                        "logicalResourceId": state.logical_id,
                        "resourceType": state.resource_type,
                        "physicalResourceId": state.physical_id,
                        "resourceStatus": state.status,
                    }
                )
    return 200, {"resources": resources}


def _drift(method: str, environ: dict[str, Any]) -> tuple[int, Any]:
    from emulator.drift import drift_marks, mark_drift
    from emulator.stacks.directory import StackLookupError, find_stack
    from emulator.stacks.lock import CLOUDFORMATION_LOCK

    data = _body(environ) if method == "POST" else _query(environ)
    if not isinstance(data, dict) or not isinstance(data.get("stackName"), str):
        raise AdminError(400, "stackName: required, the name of the stack")
    try:
        located = find_stack(data["stackName"], data.get("account"), data.get("region"))
    except StackLookupError as exc:
        raise AdminError(404, str(exc)) from exc
    stack = located.stack
    with CLOUDFORMATION_LOCK:
        if method == "GET":
            return 200, {"stackName": stack.name, "marks": drift_marks(stack)}
        if method == "DELETE":
            from emulator.stacks.ledger import ledger_of

            ledger_of(stack).drift_marks.clear()
            return 200, {"stackName": stack.name, "marks": {}}
        if method != "POST":
            raise AdminError(405, f"{method} is not allowed on drift")
        logical_id = data.get("logicalResourceId")
        if not isinstance(logical_id, str):
            raise AdminError(400, "logicalResourceId: required, the resource that drifted")
        differences: Any = data.get("differences", [])
        if not isinstance(differences, list) or not all(
            isinstance(item, dict) for item in differences
        ):
            raise AdminError(400, "differences: expected a list of PropertyDifferences objects")
        try:
            mark_drift(stack, logical_id, data.get("status", "MODIFIED"), differences)
        except ValueError as exc:
            raise AdminError(400, str(exc)) from exc
        return 201, {"stackName": stack.name, "marks": drift_marks(stack)}


def handle(method: str, path: str, environ: dict[str, Any]) -> tuple[int, Any]:
    """Answer one admin request: (HTTP status, JSON-able body)."""
    route, _, rest = path.partition("/")
    if route == "calls" and not rest:
        if method == "GET":
            return 200, {"calls": CALLS.counts()}
        if method == "DELETE":
            return 200, {"calls": CALLS.take()}
        raise AdminError(405, f"{method} is not allowed on calls")
    if route == "fixes":
        return 200, {"fixes": describe_fixes()}
    if route == "faults":
        return _faults(method, environ, rest)
    if route in ("simulated", "drift"):
        from emulator.layer import install

        install()  # these read stacks: wait for moto and the layer, as AWS requests do
        return _simulated(method, environ) if route == "simulated" else _drift(method, environ)
    raise AdminError(404, f"no admin endpoint {PREFIX}{path}")


class AdminApplication:
    """WSGI middleware: ``/_goldenpath/*`` is answered here, everything else goes to moto."""

    def __init__(self, moto: WsgiApp, loaded: Callable[[], bool]) -> None:
        self._moto = moto
        self._loaded = loaded

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(PREFIX):
            if not path.startswith("/moto-api/"):
                CALLS.count(action_of(environ))
            return self._moto(environ, start_response)
        try:
            if path == PREFIX + "health":
                status, body = 200, {"status": "ok", "moto": MOTO_VERSION, "loaded": self._loaded()}
            else:
                status, body = handle(environ["REQUEST_METHOD"], path[len(PREFIX) :], environ)
        except AdminError as exc:
            status, body = exc.status, {"error": exc.message}
        payload = json.dumps(body, default=str).encode("utf-8")
        start_response(
            f"{status} {_REASONS.get(status, '')}".strip(),
            [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
        )
        return [payload]
