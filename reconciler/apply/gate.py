"""The gates before any stack operation: guardrails, then cfn-lint.

Guardrails: a body the platform's policies deny is never deployed, nor adopted; the unit
is ``denied`` with the rule, the logical resource id and the message. A body they cannot
be evaluated on (the policies do not compile, a rule fails) is held back too (fails
closed). Nothing is journalled: the next plan judges the unit again, so a new exception
or a policy fix lets it go without a change to its body.

cfn-lint: the emulator accepts templates AWS refuses, and AWS refuses some only halfway
through a deploy, so every rendered body is linted first (results cached by body hash).
An error stalls the unit with the template file, the line of the rendered body and the
message.
"""

from __future__ import annotations

from collections.abc import Collection

from reconciler.apply.conditions import Outcome
from reconciler.desired.rendering import RenderedUnit
from reconciler.guardrails import Guardrails
from reconciler.render import Linter


def guardrail_gate(guard: Guardrails | None, rendered: RenderedUnit) -> Outcome | None:
    """A ``denied`` outcome (or ``invalid`` when the policies failed), or None to go."""
    if guard is None:
        return None
    verdict = guard.check(rendered)
    if verdict.failed:
        return Outcome("invalid", "GuardrailsFailed", verdict.reason())
    if verdict.denied:
        return Outcome("denied", "PolicyDenied", verdict.reason())
    return None


def lint_gate(
    linter: Linter | None, rendered: RenderedUnit, ignore_checks: Collection[str]
) -> Outcome | None:
    """An ``invalid`` outcome naming the first error, or None when the body may go."""
    if linter is None:
        return None
    unit = rendered.unit
    template = unit.bundle.infrastructure[unit.infrastructure].path
    report = linter.lint(
        rendered.body, file=template, ignore_checks=ignore_checks, regions=(unit.target.region,)
    )
    if not report.errors:
        return None
    first = report.errors[0]
    more = f" (and {len(report.errors) - 1} more)" if len(report.errors) > 1 else ""
    return Outcome(
        "invalid", "LintFailed", f"{template}, rendered line {first.line}: {first.message}{more}"
    )
