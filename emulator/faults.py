"""Failures and delays the emulator injects on request.

Failure handling has to be tested over the same HTTP API as success, so a test (or the
demo) tells the emulator what to break: fail the create, update or delete of a named
stack or of a resource type, or hold a stack ``*_IN_PROGRESS`` for some seconds so that a
crash or a second process can catch it in flight. The stack lifecycle asks this book
which faults apply each time it starts an operation.

A fault is JSON, the same shape over HTTP (``POST /_goldenpath/faults``) and in the
``GOLDENPATH_EMULATOR_FAULTS`` variable of the standalone process::

    {"kind": "fail", "operation": "create", "stackName": "env-test",
     "resourceType": "AWS::EC2::Subnet", "message": "subnet quota", "count": 1}
    {"kind": "delay", "operation": "update", "stackName": "svc-web", "seconds": 5}
    {"kind": "fail", "operation": "update", "stackName": "env", "rollback": "fail"}

The last leaves the stack ``UPDATE_ROLLBACK_FAILED``: the update fails, and so does
undoing it, as when a resource cannot be put back.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

OPERATIONS = ("create", "update", "delete")
KINDS = ("fail", "delay")

# A delay longer than this is almost certainly a unit mistake (ms for s); refuse it.
MAX_DELAY_SECONDS = 3600.0

_FIELDS = {
    "kind": "fail | delay",
    "operation": "create | update | delete (absent: every operation)",
    "stackName": "the stack's name (absent: every stack)",
    "resourceType": "fail only: a resource type such as AWS::EC2::Subnet",
    "logicalResourceId": "fail only: a resource's logical id",
    "account": "12-digit account id (absent: every account)",
    "region": "region name (absent: every region)",
    "seconds": "delay only: how long to hold the stack *_IN_PROGRESS",
    "message": "fail only: the reason reported on the failed resource",
    "count": "how many operations it affects before it is used up (absent: no limit)",
    "rollback": "fail only, with operation update: 'fail' makes the rollback fail too",
}


class FaultError(ValueError):
    """A fault description is malformed; the message names the field and what was expected."""


@dataclass(frozen=True)
class Fault:
    """One injected failure or delay, and which operations it applies to."""

    kind: str
    operation: str | None = None
    stack_name: str | None = None
    resource_type: str | None = None
    logical_resource_id: str | None = None
    account: str | None = None
    region: str | None = None
    seconds: float = 0.0
    message: str | None = None
    count: int | None = None
    rollback_fails: bool = False
    id: str = ""

    def applies_to(self, account: str, region: str, stack_name: str, operation: str) -> bool:
        """Whether this fault concerns an operation on this stack (resources aside)."""
        return (
            (self.operation is None or self.operation == operation)
            and (self.stack_name is None or self.stack_name == stack_name)
            and (self.account is None or self.account == account)
            and (self.region is None or self.region == region)
        )

    @property
    def targets_resources(self) -> bool:
        """A fail fault naming a type or logical id fires only on matching resources."""
        return self.resource_type is not None or self.logical_resource_id is not None

    def matches_resource(self, logical_id: str, resource_type: str) -> bool:
        return (self.resource_type is None or self.resource_type == resource_type) and (
            self.logical_resource_id is None or self.logical_resource_id == logical_id
        )

    @property
    def reason(self) -> str:
        return self.message or f"Injected failure (Goldenpath emulator fault {self.id})"

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "kind": self.kind}
        optional = {
            "operation": self.operation,
            "stackName": self.stack_name,
            "resourceType": self.resource_type,
            "logicalResourceId": self.logical_resource_id,
            "account": self.account,
            "region": self.region,
            "message": self.message,
            "count": self.count,
            "rollback": "fail" if self.rollback_fails else None,
        }
        data.update({key: value for key, value in optional.items() if value is not None})
        if self.kind == "delay":
            data["seconds"] = self.seconds
        return data


def parse_fault(data: object, where: str = "fault") -> Fault:
    """Read one fault from its JSON form; errors say which field is wrong and why."""
    if not isinstance(data, Mapping):
        raise FaultError(f"{where}: expected a JSON object, got {type(data).__name__}")
    unknown = sorted(set(data) - set(_FIELDS))
    if unknown:
        known = ", ".join(_FIELDS)
        raise FaultError(f"{where}: unknown field(s) {', '.join(unknown)}; known fields: {known}")
    kind = _choice(data, "kind", KINDS, where, required=True)
    operation = _choice(data, "operation", OPERATIONS, where, required=False)
    fault = Fault(
        kind=str(kind),
        operation=operation,
        stack_name=_text(data, "stackName", where),
        resource_type=_text(data, "resourceType", where),
        logical_resource_id=_text(data, "logicalResourceId", where),
        account=_text(data, "account", where),
        region=_text(data, "region", where),
        seconds=_seconds(data, where),
        message=_text(data, "message", where),
        count=_count(data, where),
        rollback_fails=_choice(data, "rollback", ("fail",), where, required=False) == "fail",
    )
    if fault.rollback_fails and (fault.kind != "fail" or fault.operation != "update"):
        raise FaultError(
            f"{where}.rollback: only a fail fault with operation update can fail its rollback"
        )
    if fault.kind == "delay":
        if "seconds" not in data:
            raise FaultError(f"{where}.seconds: a delay needs the number of seconds to hold")
        for name in ("resourceType", "logicalResourceId", "message"):
            if name in data:
                raise FaultError(f"{where}.{name}: only a fail fault takes {name}")
    elif "seconds" in data:
        raise FaultError(f"{where}.seconds: only a delay fault takes seconds")
    if fault.account is not None and not (fault.account.isdigit() and len(fault.account) == 12):
        raise FaultError(f"{where}.account: expected a 12-digit account id, got {fault.account!r}")
    return fault


def parse_faults(text: str, source: str) -> list[Fault]:
    """Read a JSON list of faults (or one fault object), e.g. from the environment."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FaultError(f"{source}: not valid JSON ({exc.msg} at line {exc.lineno})") from exc
    items = data if isinstance(data, list) else [data]
    return [parse_fault(item, f"{source}[{index}]") for index, item in enumerate(items)]


def _choice(
    data: Mapping[str, Any], name: str, allowed: tuple[str, ...], where: str, required: bool
) -> str | None:
    if name not in data:
        if required:
            raise FaultError(f"{where}.{name}: required, one of {', '.join(allowed)}")
        return None
    value = data[name]
    if value not in allowed:
        raise FaultError(f"{where}.{name}: expected one of {', '.join(allowed)}, got {value!r}")
    return str(value)


def _text(data: Mapping[str, Any], name: str, where: str) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise FaultError(f"{where}.{name}: expected a non-empty string, got {value!r}")
    return value


def _seconds(data: Mapping[str, Any], where: str) -> float:
    value = data.get("seconds", 0.0)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FaultError(f"{where}.seconds: expected a number of seconds, got {value!r}")
    if not 0 <= value <= MAX_DELAY_SECONDS:
        raise FaultError(f"{where}.seconds: expected 0 to {MAX_DELAY_SECONDS:g}, got {value}")
    return float(value)


def _count(data: Mapping[str, Any], where: str) -> int | None:
    value = data.get("count")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise FaultError(f"{where}.count: expected a positive whole number, got {value!r}")
    return value


@dataclass(frozen=True)
class FaultPlan:
    """What the faults say about one operation: how long to hold it, and what may fail."""

    delay_seconds: float
    failures: tuple[Fault, ...]


class FaultBook:
    """The faults in force, shared by the admin endpoint and the stack lifecycle.

    Thread-safe: requests and delayed operations read it from many threads.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: dict[str, Fault] = {}
        self._remaining: dict[str, int | None] = {}
        self._ids = itertools.count(1)

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            stored = replace(fault, id=f"fault-{next(self._ids)}")
            self._faults[stored.id] = stored
            self._remaining[stored.id] = stored.count
            return stored

    def add_all(self, faults: Iterable[Fault]) -> list[Fault]:
        return [self.add(fault) for fault in faults]

    def remove(self, fault_id: str) -> bool:
        with self._lock:
            self._remaining.pop(fault_id, None)
            return self._faults.pop(fault_id, None) is not None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self._remaining.clear()

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            described = []
            for fault in self._faults.values():
                entry = fault.to_json()
                entry["remaining"] = self._remaining[fault.id]
                described.append(entry)
            return described

    def plan(self, account: str, region: str, stack_name: str, operation: str) -> FaultPlan:
        """The delay and candidate failures for an operation that is starting now.

        A delay is used up when it is planned; a failure only when it fires (see ``fire``).
        """
        with self._lock:
            delay = 0.0
            failures = []
            for fault in list(self._faults.values()):
                if not fault.applies_to(account, region, stack_name, operation):
                    continue
                if fault.kind == "delay":
                    delay = max(delay, fault.seconds)
                    self._use(fault.id)
                else:
                    failures.append(fault)
            return FaultPlan(delay_seconds=delay, failures=tuple(failures))

    def fails_rollback(self, account: str, region: str, stack_name: str) -> bool:
        """Whether a fault in force still makes this stack's update rollback fail."""
        with self._lock:
            return any(
                fault.rollback_fails and fault.applies_to(account, region, stack_name, "update")
                for fault in self._faults.values()
            )

    def fire(self, fault: Fault) -> bool:
        """Use a failure once; False when it was used up meanwhile (then nothing fails)."""
        with self._lock:
            if fault.id not in self._faults:
                return False
            self._use(fault.id)
            return True

    def _use(self, fault_id: str) -> None:
        remaining = self._remaining.get(fault_id)
        if remaining is None:
            return
        if remaining <= 1:
            self._faults.pop(fault_id, None)
            self._remaining.pop(fault_id, None)
        else:
            self._remaining[fault_id] = remaining - 1


# One book per process: moto's backends are process-wide, and so are the faults.
FAULTS = FaultBook()
