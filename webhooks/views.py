"""What the JSON API and the web page may show, shaped once for both.

The status and history documents come from ``reconciler.report.status``; this module
adds what a reader outside the engine needs and must not see:

- output values whose name says they are a secret are masked (outputs are shown, since
  endpoints are what developers come for; inputs are part of no document at all);
- each unit gets one summarized ``state`` (Ready, Reconciling, Stalled, NotReady or
  Unknown) so every view colours a unit the same way;
- unit ids are checked against their four forms before the store is asked;
- pull-request plans are found in the state store's ``pr-plans`` cache under a key whose
  URL form is defined here (``plan_key`` and ``plan_path``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from reconciler.report.status import history_document, status_document
from reconciler.state import StateStore

PLANS_NAMESPACE = "pr-plans"
# Characters a plan key keeps unencoded in its URL: enough to read "github:owner/repo%2312".
PLAN_KEY_SAFE = ":/@-._~"
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


def unit_headline(unit: Mapping[str, Any]) -> tuple[str, str]:
    """The reason and message of the condition that explains the unit's state."""
    conditions = {c["type"]: c for c in unit.get("conditions", ())}
    state = unit_state(unit)
    for type_ in (state, "Ready"):
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


def split_history_path(path: str) -> tuple[str, bool]:
    """``service/web/test/history`` → (``service/web/test``, True); else (path, False).

    Each kind has a fixed number of segments, so ``pipeline/history`` (the pipeline of a
    service called "history") can never be read as the history of ``pipeline``.
    """
    head, slash, tail = path.rpartition("/")
    if slash and tail == "history":
        try:
            check_unit_id(head)
        except UnknownUnit:
            return path, False
        return head, True
    return path, False


def status_view(store: StateStore, settings: ViewSettings) -> dict[str, Any]:
    """The status document with outputs masked and a ``state`` per unit."""
    document = status_document(store)
    document["units"] = [_unit_view(unit, settings) for unit in document["units"]]
    return document


def unit_view(store: StateStore, unit_id: str, settings: ViewSettings) -> dict[str, Any]:
    """One unit as ``status_view`` shows it; ``UnknownUnit`` if it is not recorded."""
    check_unit_id(unit_id)
    if store.unit(unit_id) is None:
        raise UnknownUnit(f"no unit {unit_id!r} is recorded")
    # The status document is the one place "outdated" is decided; filter it, as the CLI does.
    for unit in status_document(store)["units"]:
        if unit["id"] == unit_id:
            return _unit_view(unit, settings)
    raise UnknownUnit(f"no unit {unit_id!r} is recorded")


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
    return shown


def plan_key(forge: str, repository: str, number: int) -> str:
    """The key a pull request's plan is stored under: ``github:owner/repo#12``."""
    return f"{forge}:{repository}#{number}"


def plan_path(key: str) -> str:
    """The page of a stored plan, relative to where the router is mounted.

    ``github:owner/repo#12`` → ``/plans/github:owner/repo%2312``: the key is
    percent-encoded, keeping ``:`` and ``/`` readable (``#`` would end the path).
    """
    return "/plans/" + url_plan_key(key)


def url_plan_key(key: str) -> str:
    """A plan key as it appears in a URL path (see ``plan_path``)."""
    return quote(key, safe=PLAN_KEY_SAFE)


def plan_view(store: StateStore, key: str, settings: ViewSettings) -> dict[str, Any]:
    """The plan document stored under ``key``, masked; ``UnknownPlan`` if there is none."""
    if not key or len(key) > PLAN_KEY_MAX_CHARS:
        raise UnknownPlan(
            f"a plan key has 1 to {PLAN_KEY_MAX_CHARS} characters, such as "
            f"'github:owner/repo#12' (written github:owner/repo%2312 in a URL) or a commit sha"
        )
    document = store.cache_get(PLANS_NAMESPACE, key)
    if document is None:
        raise UnknownPlan(f"no plan is stored under {key!r}")
    if not isinstance(document, Mapping) or not isinstance(document.get("units"), list):
        raise UnreadablePlan(
            f"what is stored under {key!r} in {PLANS_NAMESPACE!r} is not a plan document "
            f"(an object with a 'units' list)"
        )
    shown: dict[str, Any] = redacted(document, settings)
    return shown
