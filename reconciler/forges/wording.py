"""What Goldenpath says on a forge: check names and one-line status descriptions.

Pure functions from counts to words, so the wording is composed in one place above the
clients (which only carry it) and can be tested without a forge. Every description is
cut to the forge limit by :class:`~reconciler.forges.model.CommitStatus` itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from reconciler.forges.model import CommitStatus, StatusState

VALIDATE = "goldenpath/validate"
PLAN = "goldenpath/plan"
APPLY = "goldenpath/apply"

# Plan actions in the order a reader wants them: what changes first, then what does not.
PLAN_ACTIONS = (
    ("create", "to create"),
    ("adopt", "to adopt"),
    ("update", "to update"),
    ("delete", "to delete"),
    ("blocked", "blocked"),
    ("denied", "denied"),
    ("noop", "unchanged"),
)
NAMES_SHOWN = 3  # failed units or problems named in a description before "and N more"


def _units(count: int) -> str:
    return f"{count} unit" if count == 1 else f"{count} units"


def _named(items: Sequence[str]) -> str:
    shown = ", ".join(items[:NAMES_SHOWN])
    hidden = len(items) - NAMES_SHOWN
    return f"{shown} and {hidden} more" if hidden > 0 else shown


def apply_description(
    applied: int, up_to_date: int, failed: Sequence[str], waiting: int = 0
) -> str:
    """E.g. "12 units applied, 40 up to date" or "2 failed: service/a/test, …; 10 applied";
    Terraform units written and not yet notified add "2 waiting for Terraform"."""
    done = f"{_units(applied)} applied, {up_to_date} up to date"
    if waiting:
        done += f", {waiting} waiting for Terraform"
    if not failed:
        return done
    return f"{len(failed)} failed: {_named(failed)}; {done}"


def apply_status(
    applied: int,
    up_to_date: int,
    failed: Sequence[str],
    target_url: str | None = None,
    waiting: int = 0,
) -> CommitStatus:
    """The ``goldenpath/apply`` status for a finished apply of a commit: pending while
    Terraform units wait for their notifications (a notification reconciles again)."""
    state = StatusState.SUCCESS
    if failed:
        state = StatusState.FAILURE
    elif waiting:
        state = StatusState.PENDING
    return CommitStatus(
        context=APPLY,
        state=state,
        description=apply_description(applied, up_to_date, failed, waiting),
        target_url=target_url,
    )


def plan_description(actions: Mapping[str, int]) -> str:
    """E.g. "2 to create, 1 to update, 40 unchanged"; "no units" for an empty plan."""
    unknown = sorted(set(actions) - {name for name, _ in PLAN_ACTIONS})
    if unknown:
        raise ValueError(f"unknown plan actions {unknown}; expected {[a for a, _ in PLAN_ACTIONS]}")
    parts = [f"{actions[name]} {label}" for name, label in PLAN_ACTIONS if actions.get(name)]
    return ", ".join(parts) if parts else "no units"


def plan_state(actions: Mapping[str, int]) -> StatusState:
    """A plan with denied or blocked units fails its check; anything else succeeds."""
    return (
        StatusState.FAILURE
        if actions.get("denied") or actions.get("blocked")
        else (StatusState.SUCCESS)
    )


def validate_description(problems: Sequence[str]) -> str:
    """E.g. "valid" or "2 problems: services/a.yaml:3 spec.template: unknown template …"."""
    if not problems:
        return "valid"
    noun = "problem" if len(problems) == 1 else "problems"
    return f"{len(problems)} {noun}: {'; '.join(problems[:NAMES_SHOWN])}"


def pending(context: str, doing: str, target_url: str | None = None) -> CommitStatus:
    """A ``pending`` status while a check runs, e.g. ``pending(PLAN, "planning")``."""
    return CommitStatus(context, StatusState.PENDING, doing, target_url)
