"""What guardrails say about one rendered unit, as values.

A policy's ``deny`` and ``warn`` results become ``Finding``s; the admins' exceptions
then move some denials aside (``Excepted``); a ``Verdict`` is the whole answer for one
unit, including the failure to evaluate at all (which fails closed: the unit is denied).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from reconciler.specs.model import GuardrailException

Severity = Literal["deny", "warn"]


@dataclass(frozen=True, order=True)
class Finding:
    """One result of a policy: the rule, the logical resource id and the message."""

    rule: str
    resource: str
    message: str
    severity: Severity = "deny"

    def __str__(self) -> str:
        where = f"{self.resource}: " if self.resource else ""
        return f"{self.rule}: {where}{self.message}"

    def to_json(self) -> dict[str, str]:
        return {
            "rule": self.rule,
            "resource": self.resource,
            "message": self.message,
            "severity": self.severity,
        }

    @classmethod
    def of_json(cls, data: Any) -> Finding:
        return cls(data["rule"], data["resource"], data["message"], data["severity"])


@dataclass(frozen=True)
class Excepted:
    """A denial an exception lets through, until the exception expires."""

    finding: Finding
    exception: GuardrailException

    def __str__(self) -> str:
        e = self.exception
        return f"{self.finding} (excepted until {e.expires}: {e.reason})"

    def to_json(self) -> dict[str, Any]:
        return {
            **self.finding.to_json(),
            "reason": self.exception.reason,
            "expires": self.exception.expires,
        }


@dataclass(frozen=True)
class Verdict:
    """The guardrails' answer for one rendered unit.

    ``error`` is set when the policies could not be evaluated for it (they do not
    compile, or a rule failed at run time): the unit is then held back, never deployed.
    """

    unit_id: str
    denials: tuple[Finding, ...] = ()
    warnings: tuple[Finding, ...] = ()
    excepted: tuple[Excepted, ...] = ()
    error: str | None = None

    @property
    def denied(self) -> bool:
        return bool(self.denials)

    @property
    def failed(self) -> bool:
        return self.error is not None

    @property
    def blocks(self) -> bool:
        """Whether the body may not be deployed (denied, or failed closed)."""
        return self.denied or self.failed

    @property
    def noteworthy(self) -> bool:
        return bool(self.denials or self.warnings or self.excepted or self.error)

    def reason(self) -> str:
        """One line for a plan row or a condition: the first denial, or the error."""
        if self.error is not None:
            return f"guardrails could not be evaluated: {self.error}"
        if not self.denials:
            return ""
        first = self.denials[0]
        more = f" (and {len(self.denials) - 1} more)" if len(self.denials) > 1 else ""
        return f"denied by guardrail {first}{more}"

    def to_json(self) -> dict[str, Any]:
        return {
            "unit": self.unit_id,
            "denials": [f.to_json() for f in self.denials],
            "warnings": [f.to_json() for f in self.warnings],
            "excepted": [e.to_json() for e in self.excepted],
            "error": self.error,
        }
