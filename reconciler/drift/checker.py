"""One unit's drift check against the cloud, in two short steps that never wait.

``begin``: DescribeStacks by name (gone? outputs?), GetTemplate (against the applied
render) and, where the stack has resources CloudFormation can inspect, DetectStackDrift —
three calls. CloudFormation's detection runs for seconds to minutes, so instead of
polling here the check is handed back as ``Pending``; ``finish`` asks once how it went
(DescribeStackDriftDetectionStatus) and, when it found drift, which resources
(DescribeStackResourceDrifts) — two calls. The watch calls ``finish`` again on a later
tick while the detection is still running.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import structlog

from reconciler.cloud import Cloud, CloudRejected, ResourceDrift, Target
from reconciler.drift.findings import (
    DriftedResource,
    Observation,
    compare_template,
    detectable,
    outputs_changed,
)
from reconciler.errors import CloudError, Waiting

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Watched:
    """A deployed unit as the drift watch sees it: its stack and what was applied there."""

    unit_id: str
    stack_name: str
    target: Target
    fingerprint: str
    body: str  # the applied render
    outputs: Mapping[str, str]  # the recorded outputs
    holds_data: bool
    adopted: bool  # the spec names the stack (stackName)


@dataclass(frozen=True)
class Pending:
    """A check whose drift detection CloudFormation is still running."""

    watched: Watched
    seen: Observation  # what the first step found
    detection_id: str
    started: float
    polls: int = 0


class StackCheck:
    """The calls of a drift check; errors are the cloud edge's (the watch handles them)."""

    def __init__(self, cloud: Cloud) -> None:
        self.cloud = cloud
        self._detectable: dict[str, bool] = {}  # by fingerprint (see docs/caching.md)

    def begin(self, watched: Watched, now: float) -> Observation | Pending | None:
        """The first step. None: the stack is busy with an operation; check it later."""
        target, name = watched.target, watched.stack_name
        state = self.cloud.describe(target, [name]).get(name)
        if state is None:
            return Observation(watched.unit_id, name, exists=False)
        if state.status.endswith("_IN_PROGRESS"):
            return None
        try:
            live_body = self.cloud.template(target, name)
        except CloudRejected as exc:
            if exc.is_missing_stack:  # deleted between the two calls
                return Observation(watched.unit_id, name, exists=False)
            raise
        seen = Observation(
            watched.unit_id,
            name,
            exists=True,
            status=state.status,
            template=compare_template(live_body, watched.body),
            outputs=outputs_changed(watched.outputs, state.outputs),
        )
        if not self._can_detect(watched):
            return replace(seen, detection_note="no resource type drift detection can check")
        try:
            detection = self.cloud.detect_drift(target, name)
        except CloudRejected as exc:
            if exc.is_missing_stack:
                return Observation(watched.unit_id, name, exists=False)
            log.warning("drift.detection_refused", unit=watched.unit_id, error=str(exc))
            note = f"drift detection refused: {exc}"
            return replace(seen, detection_note=note, complete=False)
        except (CloudError, Waiting) as exc:
            # What the first calls saw stands; the resources wait for the next slot.
            log.warning("drift.detection_failed", unit=watched.unit_id, error=str(exc))
            return replace(seen, detection_note=f"resources not checked: {exc}", complete=False)
        return Pending(watched, seen, detection, now)

    def finish(self, pending: Pending, now: float, timeout: float) -> Observation | Pending:
        """The second step: the detection's result, or ``pending`` again while it runs."""
        watched = pending.watched
        try:
            return self._finish(pending, now, timeout)
        except (CloudError, Waiting) as exc:
            log.warning("drift.detection_failed", unit=watched.unit_id, error=str(exc))
            note = f"resources not checked: {exc}"
            return replace(pending.seen, detection_note=note, complete=False)

    def _finish(self, pending: Pending, now: float, timeout: float) -> Observation | Pending:
        watched = pending.watched
        found = self.cloud.drift_detection(watched.target, pending.detection_id)
        if not found.finished:
            if now - pending.started > timeout:
                note = f"drift detection still running after {timeout:.0f} s"
                return replace(pending.seen, detection_note=note, complete=False)
            return replace(pending, polls=pending.polls + 1)
        note = ""
        if found.status == "DETECTION_FAILED":
            note = f"drift detection failed in part: {found.reason or 'no reason given'}"
        if found.stack_drift_status != "DRIFTED":
            return replace(pending.seen, detection_note=note, complete=not note)
        drifts = self.cloud.resource_drifts(watched.target, watched.stack_name)
        resources = tuple(_drifted(d) for d in drifts if d.status in ("MODIFIED", "DELETED"))
        return replace(pending.seen, resources=resources, detection_note=note)

    def _can_detect(self, watched: Watched) -> bool:
        known = self._detectable.get(watched.fingerprint)
        if known is None:
            known = self._detectable[watched.fingerprint] = detectable(watched.body)
        return known

    def forget(self, fingerprints: set[str]) -> None:
        """Drop what is known of bodies no unit runs any more."""
        for fingerprint in set(self._detectable) - fingerprints:
            del self._detectable[fingerprint]


class CountingCloud:
    """Counts calls per account for a cloud that does not (test doubles; one per call)."""

    def __init__(self, inner: Cloud, counts: Counter[str]) -> None:
        self.inner = inner
        self.counts = counts

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self.inner, name)

        def counted(target: Target, *args: Any, **kwargs: Any) -> Any:
            self.counts[target.account_id] += 1
            return method(target, *args, **kwargs)

        return counted


def _drifted(drift: ResourceDrift) -> DriftedResource:
    return DriftedResource(
        drift.logical_id,
        drift.type,
        drift.status,
        tuple(d.path for d in drift.differences),
    )
