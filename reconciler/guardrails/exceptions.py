"""The admins' exceptions to guardrails (``spec.guardrails.exceptions`` of goldenpath.yaml).

An exception names a rule, globs on unit ids, a reason and the last day it applies. On
that day it still lets the matching denials through; from the next it does not, and
``validate`` says it expired. Fourteen days before, ``validate`` warns. "Today" is
always passed in, never read here: the caller's clock decides.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from fnmatch import fnmatchcase

from reconciler.errors import Problem
from reconciler.guardrails.model import Excepted, Finding
from reconciler.specs.model import GuardrailException

# How long before its end an exception is announced by ``validate``.
EXPIRY_WARNING = timedelta(days=14)


def expiry_of(exception: GuardrailException) -> date | None:
    """The last day ``exception`` applies; None when ``expires`` is not a real date."""
    try:
        return date.fromisoformat(exception.expires)
    except ValueError:
        return None


def in_force(
    exceptions: Iterable[GuardrailException], today: date
) -> tuple[GuardrailException, ...]:
    """The exceptions that still apply ``today`` (their last day included)."""
    return tuple(e for e in exceptions if (end := expiry_of(e)) is not None and today <= end)


def covers(exception: GuardrailException, unit_id: str, rule: str) -> bool:
    return exception.rule == rule and any(fnmatchcase(unit_id, glob) for glob in exception.units)


def apply_exceptions(
    unit_id: str, denials: Sequence[Finding], exceptions: Sequence[GuardrailException]
) -> tuple[tuple[Finding, ...], tuple[Excepted, ...]]:
    """``denials`` split into those that stand and those an exception in force lets by."""
    standing: list[Finding] = []
    excepted: list[Excepted] = []
    for finding in denials:
        found = next((e for e in exceptions if covers(e, unit_id, finding.rule)), None)
        if found is None:
            standing.append(finding)
        else:
            excepted.append(Excepted(finding, found))
    return tuple(standing), tuple(excepted)


def exception_problems(
    exceptions: Sequence[GuardrailException], today: date, policies: Mapping[str, str]
) -> list[Problem]:
    """What is wrong or worth knowing about the exceptions, on ``today``.

    Errors: an expiry that is not a date, an exception that has expired. Warnings: one
    that ends within ``EXPIRY_WARNING``, one whose rule no policy mentions.
    """
    problems = []
    for exception in exceptions:
        origin = exception.origin
        field = origin.field
        end = expiry_of(exception)
        if end is None:
            problems.append(
                Problem(
                    origin.file,
                    origin.line,
                    f"{field}.expires",
                    f"{exception.expires!r} is not a date; expected YYYY-MM-DD",
                )
            )
            continue
        if end < today:
            problems.append(
                Problem(
                    origin.file,
                    origin.line,
                    f"{field}.expires",
                    f"the exception to {exception.rule!r} expired on {end.isoformat()}; it no "
                    "longer applies: fix the units it covered, then remove it (or renew it)",
                )
            )
        elif end - today <= EXPIRY_WARNING:
            days = (end - today).days
            when = "today" if days == 0 else f"in {days} day(s)"
            problems.append(
                Problem(
                    origin.file,
                    origin.line,
                    f"{field}.expires",
                    f"the exception to {exception.rule!r} for {', '.join(exception.units)} "
                    f"ends {when} ({end.isoformat()}); after that the rule denies them again",
                    "warning",
                )
            )
        if policies and not any(exception.rule in source for source in policies.values()):
            problems.append(
                Problem(
                    origin.file,
                    origin.line,
                    f"{field}.rule",
                    f"no policy under policies/ mentions the rule {exception.rule!r}",
                    "warning",
                )
            )
    return problems
