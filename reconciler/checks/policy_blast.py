"""The blast radius of a policy change: which deployed units the new policies deny or warn.

When a change request changes ``policies/``, every deployed unit (one the state store
has applied) is judged by the head's policies, on the body the head's plan rendered for
it; those the head's guardrails deny, warn about, let through by an exception or cannot
judge are listed, each marked *new* when the base branch's policies did not say the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from reconciler.guardrails import Finding, Guardrails, Verdict
from reconciler.plan.model import Plan, Recorded

Effect = Literal["fails", "denied", "excepted", "warned"]


@dataclass(frozen=True)
class PolicyTouched:
    unit_id: str
    effect: Effect
    findings: tuple[Finding, ...]
    error: str | None
    new: bool  # the base branch's policies did not say this of the unit

    def to_json(self) -> dict[str, Any]:
        return {
            "unit": self.unit_id,
            "effect": self.effect,
            "findings": [f.to_json() for f in self.findings],
            "error": self.error,
            "new": self.new,
        }


def policy_blast_radius(
    plan: Plan,
    verdicts: Mapping[str, Verdict],
    base: Guardrails | None,
    recorded: Mapping[str, Recorded],
) -> list[PolicyTouched]:
    """Deployed units the head's guardrails (``verdicts``) have something to say about."""
    touched = []
    for item in plan.units:
        record = recorded.get(item.unit_id)
        verdict = verdicts.get(item.unit_id)
        if record is None or record.fingerprint is None or verdict is None:
            continue
        if item.rendered is None or not verdict.noteworthy:
            continue
        before = base.check(item.rendered) if base is not None else Verdict(item.unit_id)
        findings = (
            *verdict.denials,
            *(e.finding for e in verdict.excepted),
            *verdict.warnings,
        )
        seen = {
            *before.denials,
            *(e.finding for e in before.excepted),
            *before.warnings,
        }
        new = verdict.error != before.error if verdict.failed else not set(findings) <= seen
        touched.append(PolicyTouched(item.unit_id, _effect(verdict), findings, verdict.error, new))
    return touched


def _effect(verdict: Verdict) -> Effect:
    if verdict.failed:
        return "fails"
    if verdict.denied:
        return "denied"
    if verdict.excepted:
        return "excepted"
    return "warned"
