"""``spec.notifications`` of goldenpath.yaml: what its JSON Schema cannot check, and its value.

The schema checks each target's form (a known format, known event names, variable names
for ``urlFrom`` and ``secretFrom``); this module refuses what needs the whole list or a
second field: two targets of one name, a signed format without a secret, a window that
is not a duration or too long — each with file, line and field. Whether the variables
are set is a question for the process that sends (``reconciler.notifications``), not for
the repo.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, cast

from reconciler.errors import Problem
from reconciler.specs.model import (
    DEFAULT_EXPIRING_WITHIN,
    NotificationFormat,
    NotificationTarget,
    Origin,
)
from reconciler.specs.yaml import Document

# The longest expiringWithin: the outbox keeps what it sent longer than this, which is what
# makes exception.expiring go out once per exception (see reconciler.notifications).
MAX_EXPIRING_WITHIN = 60 * 86400.0
_WINDOW = re.compile(r"^(?:(?P<d>[0-9]+)d)?(?:(?P<h>[0-9]+)h)?$")


def window_seconds(text: str) -> float:
    """``14d`` → 1209600.0, ``36h`` → 129600.0. Raises ValueError if not such a duration."""
    match = _WINDOW.match(text)
    if match is None or not text:
        raise ValueError(f"{text!r} is not a duration in days or hours such as 14d or 36h")
    return float(int(match["d"] or 0) * 86400 + int(match["h"] or 0) * 3600)


def notification_problems(doc: Document) -> list[Problem]:
    """What the schema cannot say about ``spec.notifications``."""
    targets = doc.data.get("spec", {}).get("notifications", ())
    problems = []
    seen: dict[str, int] = {}
    for index, target in enumerate(targets):
        where = f"spec.notifications[{index}]"
        name = target["name"]
        if name in seen:
            problems.append(
                doc.problem(
                    f"{where}.name",
                    f"target {name!r} is already defined at spec.notifications[{seen[name]}] "
                    "(line {}); expected a name of its own".format(
                        doc.line(f"spec.notifications[{seen[name]}].name")
                    ),
                )
            )
        seen.setdefault(name, index)
        if target["format"] == "json" and "secretFrom" not in target:
            problems.append(
                doc.problem(
                    where,
                    f"target {name!r} has format json, which is signed: expected secretFrom, "
                    "the environment variable holding the HMAC secret",
                )
            )
        if target["format"] == "slack" and "secretFrom" in target:
            problems.append(
                doc.problem(
                    f"{where}.secretFrom",
                    "format slack is not signed (the URL is the secret); expected no secretFrom",
                )
            )
        window = target.get("expiringWithin")
        if window is not None:
            problems.extend(_window_problems(doc, f"{where}.expiringWithin", window))
    return problems


def _window_problems(doc: Document, where: str, window: str) -> list[Problem]:
    try:
        seconds = window_seconds(window)
    except ValueError as exc:
        return [doc.problem(where, str(exc))]
    if not 0 < seconds <= MAX_EXPIRING_WITHIN:
        return [doc.problem(where, f"{window!r} is out of range; expected from 1h to 60d")]
    return []


def notification_targets(doc: Document) -> tuple[NotificationTarget, ...]:
    """The targets of a goldenpath.yaml whose ``notification_problems`` are none."""
    targets = doc.data.get("spec", {}).get("notifications", ())
    return tuple(_target(doc, index, t) for index, t in enumerate(targets))


def _target(doc: Document, index: int, data: Mapping[str, Any]) -> NotificationTarget:
    where = f"spec.notifications[{index}]"
    window = data.get("expiringWithin")
    return NotificationTarget(
        name=data["name"],
        format=cast(NotificationFormat, data["format"]),
        url_from=data["urlFrom"],
        events=tuple(data["events"]),
        secret_from=data.get("secretFrom"),
        expiring_within=window_seconds(window) if window else DEFAULT_EXPIRING_WITHIN,
        origin=Origin(doc.file, doc.line(where), where),
    )
