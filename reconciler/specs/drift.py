"""``spec.drift`` of goldenpath.yaml: what its JSON Schema cannot check, and its value.

The schema checks the forms (a duration's characters, a kind or an id per heal entry, a
positive budget); this module reads durations and refuses intervals too short to be
sensible and heal entries that can match no unit id, each with file, line and field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from reconciler.errors import Problem
from reconciler.specs.model import HEAL_KINDS, DriftSettings
from reconciler.specs.yaml import Document

# The shortest drift interval: checking a stack more often costs calls and finds nothing.
MIN_DRIFT_INTERVAL = 60.0
_DURATION = re.compile(r"^(?:(?P<h>[0-9]+)h)?(?:(?P<m>[0-9]+)m)?(?:(?P<s>[0-9]+)s)?$")
# Name segments of each kind's unit id (environment/<env>, service/<svc>/<instance> …).
_ID_SEGMENTS = {"environment": 1, "service": 2, "pipeline": 1, "component": 3}


def duration_seconds(text: str) -> float | None:
    """``10m`` → 600.0, ``1h30m`` → 5400.0; None for ``off``. Raises ValueError if neither."""
    if text == "off":
        return None
    match = _DURATION.match(text)
    if match is None or not text:
        raise ValueError(f"{text!r} is not a duration such as 10m, 90s or 1h30m")
    hours, minutes, seconds = (int(match[part] or 0) for part in ("h", "m", "s"))
    return float(hours * 3600 + minutes * 60 + seconds)


def drift_problems(doc: Document) -> list[Problem]:
    """What the schema cannot say about ``spec.drift``: durations, ids that match nothing."""
    drift = doc.data.get("spec", {}).get("drift", {})
    problems = []
    interval = drift.get("interval")
    if interval is not None:
        try:
            seconds = duration_seconds(interval)
        except ValueError as exc:
            seconds = None
            problems.append(doc.problem("spec.drift.interval", f"{exc}, or off"))
        if seconds is not None and seconds < MIN_DRIFT_INTERVAL:
            problems.append(
                doc.problem(
                    "spec.drift.interval",
                    f"{interval!r} is too short; expected at least 1m (each check costs "
                    "API calls in the stack's account)",
                )
            )
    for index, entry in enumerate(drift.get("heal", ())):
        kind, _, rest = entry.partition("/")
        segments = len(rest.split("/")) if rest else 0
        if segments and segments != _ID_SEGMENTS[kind]:
            form = "/".join([kind, *(f"<{n}>" for n in _id_names(kind))])
            problems.append(
                doc.problem(
                    f"spec.drift.heal[{index}]",
                    f"{entry!r} can match no unit; expected a kind ({', '.join(HEAL_KINDS)}) "
                    f"or an id or glob of the form {form}",
                )
            )
    return problems


def _id_names(kind: str) -> tuple[str, ...]:
    return {
        "environment": ("env",),
        "service": ("service", "instance"),
        "pipeline": ("service",),
        "component": ("service", "instance", "component"),
    }[kind]


def drift_settings(data: Mapping[str, Any]) -> DriftSettings:
    interval = data.get("interval")
    return DriftSettings(
        interval=duration_seconds(interval) if interval is not None else DriftSettings.interval,
        heal=tuple(data.get("heal", ())),
        calls_per_minute=int(data.get("callsPerMinute", DriftSettings.calls_per_minute)),
    )
