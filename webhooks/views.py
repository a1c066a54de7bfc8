"""What the JSON API and the web page may show, shaped once for both.

The status and history documents come from ``reconciler.report.status``; this module
adds what a reader outside the engine needs and must not see:

- output values whose name says they are a secret are masked (outputs are shown, since
  endpoints are what developers come for; inputs are part of no document at all);
- each unit gets one summarized ``state`` (Ready, Reconciling, Stalled, NotReady or
  Unknown) so every view colours a unit the same way;
- unit ids are checked against their four forms before the store is asked;
- pull-request plans are read from the state store's ``pr-plans`` cache, where the PR
  checks (``reconciler.checks.runner``) keep one per open change request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from reconciler.caching import RECOMMENDED
from reconciler.report.guardrails import notes_of
from reconciler.report.status import history_document, status_document
from reconciler.state import StateStore

# Where the PR checks keep plans: the same name as ``reconciler.checks.runner.PLANS``
# (not imported, to keep the checks' git and render machinery out of the web process).
PLANS_NAMESPACE = "pr-plans"
# Characters a plan key keeps unencoded in its URL, besides letters, digits and "-._~".
PLAN_KEY_SAFE = ":/@"
# No forge key or commit sha comes near this; longer keys are refused, not looked up.
PLAN_KEY_MAX_CHARS = 300

# Unit id forms (DESIGN.md "Units"): the kind, then a fixed number of name segments.
UNIT_ID_SEGMENTS = {"environment": 1, "service": 2, "pipeline": 1, "component": 3}
UNIT_ID_FORMS = (
    "environment/<env>, service/<service>/<instance>, pipeline/<service> "
    "or component/<service>/<instance>/<component>"
)
SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")

# Unit states, worst first: the order summaries and tallies use.
STATES = ("Stalled", "NotReady", "Reconciling", "Unknown", "Ready")


@dataclass(frozen=True)
class ViewSettings:
    """What the API and the page show and how much of it."""

    # Deployments listed per unit (the store keeps a bounded history anyway).
    history_limit: int = 50
    # An output whose name contains one of these words (case-insensitive) is masked.
    masked_output_words: tuple[str, ...] = ("secret", "password", "token")
    # What a masked value reads as.
    mask: str = "••••••••"
    # Environments in rollout order (goldenpath.yaml ``rollout.order``); they lead the
    # overview's columns. Others follow alphabetically.
    environment_order: tuple[str, ...] = ()
    # Shown in page titles.
    title: str = "Goldenpath"
    # /metrics reuses figures this young. Reading each unit's latest deployment costs
    # about 0.3 ms a unit (1.5 s at 5,000 on SQLite); Prometheus scrapes every 15-60 s.
    metrics_max_age_s: float = 15.0


class UnknownUnit(LookupError):
    """No such unit is recorded, or the id is not in one of the four forms."""


class UnknownPlan(LookupError):
    """No plan is stored under the key, or the key cannot be one."""


class UnreadablePlan(ValueError):
    """Something is stored under the key, but it is not a plan document."""


def is_masked(name: str, settings: ViewSettings) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in settings.masked_output_words)


def masked_outputs(outputs: Mapping[str, Any], settings: ViewSettings) -> dict[str, Any]:
    return {
        name: settings.mask if is_masked(name, settings) else value
        for name, value in outputs.items()
    }


def redacted(document: Any, settings: ViewSettings) -> Any:
    """A copy of a JSON document with every ``outputs``/``inputs`` mapping masked by name.

    Plans are stored by other code and may grow fields; walking the whole document keeps
    a secret-named value from showing up wherever it lands.
    """
    if isinstance(document, list):
        return [redacted(item, settings) for item in document]
    if not isinstance(document, Mapping):
        return document
    shown: dict[str, Any] = {}
    for key, value in document.items():
        if key in ("outputs", "inputs") and isinstance(value, Mapping):
            value = masked_outputs(value, settings)
        shown[key] = redacted(value, settings)
    return shown


def unit_state(unit: Mapping[str, Any]) -> str:
    """One word for a unit, from its conditions (as ``goldenpath status`` words it)."""
    conditions = {c["type"]: c for c in unit.get("conditions", ())}
    if not conditions:
        return "Unknown"
    if conditions.get("Ready", {}).get("status"):
        return "Ready"
    if conditions.get("Stalled", {}).get("status"):
        return "Stalled"
    if conditions.get("Reconciling", {}).get("status"):
        return "Reconciling"
    return "NotReady"


def is_drifted(unit: Mapping[str, Any]) -> bool:
    """Whether the last drift check found the unit's stack changed outside Goldenpath."""
    return any(c["type"] == "Drifted" and c["status"] for c in unit.get("conditions", ()))


def unit_headline(unit: Mapping[str, Any]) -> tuple[str, str]:
    """The reason and message of the condition that explains the unit's state (a Ready
    unit whose stack drifted is explained by its drift)."""
    conditions = {c["type"]: c for c in unit.get("conditions", ())}
    state = unit_state(unit)
    first = "Drifted" if state == "Ready" and is_drifted(unit) else state
    for type_ in (first, state, "Ready"):
        condition = conditions.get(type_)
        if condition and (condition["reason"] or condition["message"]):
            return condition["reason"], condition["message"]
    return "", ""


def check_unit_id(unit_id: str) -> None:
    """Raise ``UnknownUnit`` saying which forms exist when ``unit_id`` has none of them."""
    kind, _, rest = unit_id.partition("/")
    segments = rest.split("/") if rest else []
    expected = UNIT_ID_SEGMENTS.get(kind)
    if expected is None or len(segments) != expected or not all(map(SEGMENT.match, segments)):
        raise UnknownUnit(f"{unit_id!r} is not a unit id: expected {UNIT_ID_FORMS}")


# The documents under a unit's path: /api/v1/units/<unit id>/<view>.
UNIT_SUBVIEWS = ("history", "events", "template", "diff", "graph")


def split_unit_path(path: str) -> tuple[str, str | None]:
    """``service/web/test/history`` → (``service/web/test``, ``"history"``); a path that
    is a unit id itself → (path, None). The views are ``UNIT_SUBVIEWS``.

    Each kind has a fixed number of segments, so ``pipeline/history`` (the pipeline of a
    service called "history") can never be read as the history of ``pipeline``.
    """
    head, slash, tail = path.rpartition("/")
    if slash and tail in UNIT_SUBVIEWS:
        try:
            check_unit_id(head)
        except UnknownUnit:
            return path, None
        return head, tail
    return path, None


def status_view(store: StateStore, settings: ViewSettings) -> dict[str, Any]:
    """The status document with outputs masked and a ``state`` per unit."""
    document = status_document(store)
    document["units"] = [_unit_view(unit, settings) for unit in document["units"]]
    return document


def unit_view(store: StateStore, unit_id: str, settings: ViewSettings) -> dict[str, Any]:
    """One unit as ``status_view`` shows it; ``UnknownUnit`` if it is not recorded.

    Built from the one record rather than by filtering the status document, which
    reads every unit (300 ms at 5,000 units); a test holds the two views equal.
    """
    check_unit_id(unit_id)
    record = store.unit(unit_id)
    if record is None:
        raise UnknownUnit(f"no unit {unit_id!r} is recorded")
    document = record.to_json()
    best = store.cache_get(RECOMMENDED, record.template)
    document["recommended_version"] = best
    document["outdated"] = isinstance(best, str) and (
        _version_key(best) > _version_key(record.version)
    )
    document["guardrails"] = notes_of(store, unit_id)
    return _unit_view(document, settings)


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def history_view(store: StateStore, unit_id: str, settings: ViewSettings) -> dict[str, Any]:
    """A unit's deployments, newest first. History outlives a deleted unit, so a unit that
    is no longer recorded but has deployments is found; one with neither is not."""
    check_unit_id(unit_id)
    document = history_document(store, unit_id, settings.history_limit)
    if not document["deployments"] and store.unit(unit_id) is None:
        raise UnknownUnit(f"no unit {unit_id!r} is recorded and it has no deployment history")
    return document


def _unit_view(unit: dict[str, Any], settings: ViewSettings) -> dict[str, Any]:
    shown = dict(unit)
    shown["outputs"] = masked_outputs(unit["outputs"], settings)
    shown["state"] = unit_state(unit)
    shown["drifted"] = is_drifted(unit)
    return shown


def url_plan_key(key: str) -> str:
    """A plan key as it appears in a URL path: percent-encoded, ``:`` and ``/`` kept.

    The checks store plans under keys that are URL-safe already
    (``github-owner-repo-12``); anything else, such as ``#``, is encoded (``%23``).
    """
    return quote(key, safe=PLAN_KEY_SAFE)


def plan_view(store: StateStore, key: str, settings: ViewSettings) -> dict[str, Any]:
    """The plan document stored under ``key``, masked; ``UnknownPlan`` if there is none."""
    if not key or len(key) > PLAN_KEY_MAX_CHARS:
        raise UnknownPlan(
            f"a plan key has 1 to {PLAN_KEY_MAX_CHARS} characters, such as "
            f"'github-owner-repo-12' (forge, repository, change request number)"
        )
    document = store.cache_get(PLANS_NAMESPACE, key)
    if document is None:
        raise UnknownPlan(
            f"no plan is stored under {key!r}: it was never checked, or the change request "
            f"was merged or closed (its plan is dropped then)"
        )
    if not isinstance(document, Mapping) or not isinstance(document.get("units"), list):
        raise UnreadablePlan(
            f"what is stored under {key!r} in {PLANS_NAMESPACE!r} is not a plan document "
            f"(an object with a 'units' list)"
        )
    shown: dict[str, Any] = redacted(document, settings)
    return shown
