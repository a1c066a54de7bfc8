"""Guardrails as code: the platform team's Rego policies over every rendered template.

Pure core (rego-cpp has no file, network or clock access of its own): ``policies/`` is
read from the snapshot's files, "today" is passed in. regopy lives behind ``_rego``, run
in a worker process within limits by ``isolated``; this is the public surface.
"""

from reconciler.guardrails.exceptions import (
    EXPIRY_WARNING,
    apply_exceptions,
    exception_problems,
    expiry_of,
    in_force,
)
from reconciler.guardrails.guard import (
    Guardrails,
    GuardrailSettings,
    MemoryVerdictCache,
    VerdictCache,
    resource_line,
    unit_document,
    verdict_problems,
)
from reconciler.guardrails.model import Excepted, Finding, Verdict
from reconciler.guardrails.policies import POLICY_DIR, PolicySet, is_policy_path, load_policies
from reconciler.guardrails.testing import TestReport, TestResult, run_tests

__all__ = [
    "EXPIRY_WARNING",
    "POLICY_DIR",
    "Excepted",
    "Finding",
    "GuardrailSettings",
    "Guardrails",
    "MemoryVerdictCache",
    "PolicySet",
    "TestReport",
    "TestResult",
    "Verdict",
    "VerdictCache",
    "apply_exceptions",
    "exception_problems",
    "expiry_of",
    "in_force",
    "is_policy_path",
    "load_policies",
    "resource_line",
    "run_tests",
    "unit_document",
    "verdict_problems",
]
