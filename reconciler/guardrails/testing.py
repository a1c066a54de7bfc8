"""``goldenpath policy test``: run the Rego tests of ``policies/``.

As with ``opa test``, a test is a rule whose name starts with ``test_``, in any module
(usually a ``*_test.rego`` file in package ``goldenpath.guardrails_test``). It passes
when it is true; it fails when it is false or undefined, and errs when evaluating it
fails. Test rules are found by their heads in the source (``test_name if`` or
``test_name {``), one result per name and package, in file order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from reconciler.errors import Problem
from reconciler.guardrails._rego import PolicyCompileError, PolicyEvaluationError, TestRun
from reconciler.guardrails.policies import PolicySet

Outcome = Literal["pass", "fail", "error"]
_PACKAGE = re.compile(r"^package[ \t]+([A-Za-z_][\w.]*)", re.MULTILINE)
_TEST = re.compile(r"^(test_\w*)\b", re.MULTILINE)


@dataclass(frozen=True)
class TestResult:
    __test__ = False  # not a pytest class

    file: str
    line: int
    package: str
    name: str
    outcome: Outcome
    message: str = ""

    def to_json(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "package": self.package,
            "name": self.name,
            "outcome": self.outcome,
            "message": self.message,
        }


@dataclass(frozen=True)
class TestReport:
    __test__ = False

    results: tuple[TestResult, ...] = ()
    problems: tuple[Problem, ...] = ()  # the policies or data could not be loaded

    @property
    def ok(self) -> bool:
        return not self.problems and all(r.outcome == "pass" for r in self.results)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)


def run_tests(policies: PolicySet) -> TestReport:
    """Every test rule of ``policies`` (modules and tests), evaluated."""
    if policies.problems:
        return TestReport(problems=policies.problems)
    modules = {**policies.modules, **policies.tests}
    try:
        run = TestRun(modules, policies.data)
    except PolicyCompileError as exc:
        return TestReport(problems=exc.problems)
    results = []
    for path, source in modules.items():
        package = _PACKAGE.search(source)
        if package is None:
            continue
        seen: set[str] = set()
        for found in _TEST.finditer(source):
            name = found.group(1)
            if name in seen:
                continue  # a rule with several bodies is one test
            seen.add(name)
            line = source.count("\n", 0, found.start()) + 1
            try:
                passed = run.passes(package.group(1), name)
                outcome: Outcome = "pass" if passed else "fail"
                message = "" if passed else "false or undefined"
            except PolicyEvaluationError as exc:
                outcome, message = "error", str(exc)
            results.append(TestResult(path, line, package.group(1), name, outcome, message))
    return TestReport(tuple(results))
