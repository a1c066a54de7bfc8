"""A ``Cloud`` that fails on purpose, for testing the engine's retry and recovery paths.

``FaultyCloud(inner, faults)`` passes every call to ``inner`` except those a ``Fault``
matches, which raise the error the real edge would raise: ``CloudThrottled``,
``CloudUnreachable`` or ``CloudRejected``. A fault with ``after=True`` lets the call
through first and raises afterwards, like a response lost on the way back: the stack
operation happened, the caller cannot know. The wrapper also records every call, so a
test can assert that nothing was issued twice.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Literal, TypeVar

from reconciler.cloud.failures import CallSite, CloudRejected
from reconciler.cloud.interface import Cloud
from reconciler.cloud.model import (
    ChangeSetPreview,
    DriftDetection,
    ResourceDrift,
    StackEvent,
    StackRef,
    StackRequest,
    StackState,
    Target,
    UpdateOutcome,
)
from reconciler.cloud.waiting import ProgressCallback
from reconciler.errors import CloudThrottled, CloudUnreachable, GoldenpathError

T = TypeVar("T")

Operation = Literal[
    "describe",
    "stacks",
    "template",
    "detect_drift",
    "drift_detection",
    "resource_drifts",
    "create",
    "preview_update",
    "update",
    "delete",
    "cancel_update",
    "continue_update_rollback",
    "events",
    "wait",
]
FaultKind = Literal["throttle", "unreachable", "reject"]


@dataclass(frozen=True)
class Fault:
    """Make the next ``times`` matching calls fail, then let the rest through."""

    operation: Operation | Literal["*"]
    """Which method fails; ``"*"`` for any."""
    kind: FaultKind = "throttle"
    """throttle → CloudThrottled, unreachable → CloudUnreachable, reject → CloudRejected."""
    times: int = 1
    """How many matching calls fail."""
    stack: str | None = None
    """Only calls about this stack name (for describe and wait: that include it)."""
    after: bool = False
    """Fail after the inner call has succeeded, as if the response were lost."""
    code: str = "ValidationError"
    """The AWS error code of a ``reject`` fault."""
    delay: float = 1.0
    """The ``delay`` a throttle or unreachable error suggests to the caller."""


@dataclass(frozen=True)
class RecordedCall:
    """One call that reached the wrapper, and whether a fault answered it."""

    operation: Operation
    target: Target
    stacks: tuple[str, ...]
    fault: Fault | None


class FaultyCloud:
    """Wraps a ``Cloud``; matching calls fail as configured. Thread-safe."""

    def __init__(self, inner: Cloud, faults: Iterable[Fault]) -> None:
        self.inner = inner
        self._lock = threading.Lock()
        self._left: list[tuple[Fault, list[int]]] = [(f, [f.times]) for f in faults]
        self._calls: list[RecordedCall] = []

    @property
    def calls(self) -> tuple[RecordedCall, ...]:
        with self._lock:
            return tuple(self._calls)

    def calls_to(self, operation: Operation, stack: str | None = None) -> int:
        """How many calls of ``operation`` (about ``stack``, if given) reached the wrapper."""
        return sum(
            1
            for call in self.calls
            if call.operation == operation and (stack is None or stack in call.stacks)
        )

    def describe(self, target: Target, names: Collection[str]) -> dict[str, StackState]:
        return self._run(
            "describe", target, tuple(names), lambda: self.inner.describe(target, names)
        )

    def stacks(self, target: Target, prefix: str = "") -> dict[str, StackState]:
        return self._run("stacks", target, (), lambda: self.inner.stacks(target, prefix))

    def template(self, target: Target, name: str) -> str:
        return self._run("template", target, (name,), lambda: self.inner.template(target, name))

    def detect_drift(self, target: Target, name: str) -> str:
        return self._run(
            "detect_drift", target, (name,), lambda: self.inner.detect_drift(target, name)
        )

    def drift_detection(self, target: Target, detection_id: str) -> DriftDetection:
        return self._run(
            "drift_detection",
            target,
            (),
            lambda: self.inner.drift_detection(target, detection_id),
        )

    def resource_drifts(self, target: Target, name: str) -> tuple[ResourceDrift, ...]:
        return self._run(
            "resource_drifts", target, (name,), lambda: self.inner.resource_drifts(target, name)
        )

    def create(self, target: Target, stack: StackRequest, token: str) -> str:
        return self._run(
            "create", target, (stack.name,), lambda: self.inner.create(target, stack, token)
        )

    def preview_update(
        self, target: Target, stack: StackRequest, change_set_name: str
    ) -> ChangeSetPreview:
        return self._run(
            "preview_update",
            target,
            (stack.name,),
            lambda: self.inner.preview_update(target, stack, change_set_name),
        )

    def update(self, target: Target, stack: StackRequest, token: str) -> UpdateOutcome:
        return self._run(
            "update", target, (stack.name,), lambda: self.inner.update(target, stack, token)
        )

    def delete(self, target: Target, name: str, token: str, retain: Collection[str] = ()) -> None:
        self._run("delete", target, (name,), lambda: self.inner.delete(target, name, token, retain))

    def cancel_update(self, target: Target, name: str, token: str) -> None:
        self._run(
            "cancel_update", target, (name,), lambda: self.inner.cancel_update(target, name, token)
        )

    def continue_update_rollback(
        self, target: Target, name: str, token: str, skip: Collection[str] = ()
    ) -> None:
        self._run(
            "continue_update_rollback",
            target,
            (name,),
            lambda: self.inner.continue_update_rollback(target, name, token, skip),
        )

    def events(self, target: Target, name: str, limit: int = 100) -> tuple[StackEvent, ...]:
        return self._run("events", target, (name,), lambda: self.inner.events(target, name, limit))

    def wait(
        self, stacks: Collection[StackRef], progress: ProgressCallback | None = None
    ) -> dict[StackRef, StackState | None]:
        refs = sorted(stacks, key=str)
        if not refs:
            return self.inner.wait(stacks, progress)
        return self._run(
            "wait",
            refs[0].target,
            tuple(ref.name for ref in refs),
            lambda: self.inner.wait(stacks, progress),
        )

    def _run(
        self, operation: Operation, target: Target, stacks: tuple[str, ...], call: Callable[[], T]
    ) -> T:
        fault = self._take_fault(operation, stacks)
        with self._lock:
            self._calls.append(RecordedCall(operation, target, stacks, fault))
        if fault is None:
            return call()
        if fault.after:
            call()
        raise _error(fault, operation, target, stacks)

    def _take_fault(self, operation: Operation, stacks: tuple[str, ...]) -> Fault | None:
        with self._lock:
            for fault, left in self._left:
                if left[0] <= 0:
                    continue
                if fault.operation not in ("*", operation):
                    continue
                if fault.stack is not None and fault.stack not in stacks:
                    continue
                left[0] -= 1
                return fault
        return None


def _error(
    fault: Fault, operation: Operation, target: Target, stacks: tuple[str, ...]
) -> GoldenpathError:
    about = fault.stack or ",".join(stacks)
    where = f"{operation} {about} in {target}"
    if fault.kind == "throttle":
        return CloudThrottled(f"{where}: injected throttling", delay=fault.delay)
    if fault.kind == "unreachable":
        return CloudUnreachable(f"{where}: injected network error", delay=fault.delay)
    site = CallSite(operation, fault.stack or (stacks[0] if stacks else None), target)
    return CloudRejected(site, fault.code, "injected rejection", attempts=1)
