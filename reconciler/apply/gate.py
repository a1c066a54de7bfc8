"""The cfn-lint gate: a template CloudFormation would reject never reaches the cloud.

The emulator accepts templates AWS refuses, and AWS refuses some only halfway through a
deploy, so every rendered body is linted first (results cached by body hash). An error
stalls the unit with the template file, the line of the rendered body and the message.
"""

from __future__ import annotations

from collections.abc import Collection

from reconciler.apply.conditions import Outcome
from reconciler.desired.rendering import RenderedUnit
from reconciler.render import Linter


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
