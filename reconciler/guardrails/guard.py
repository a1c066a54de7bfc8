"""Guardrails over rendered units: policies compiled once per revision, results cached.

``Guardrails`` is made for one revision of the platform repo (its ``policies/`` and its
``goldenpath.yaml`` exceptions) and one day. For each rendered unit it gives a
``Verdict``:

- the input is ``{"template": <the rendered body, parsed, intrinsics in long form>,
  "unit": {id, kind, environment, service, instance, team, template, version, account,
  region}}``; for a Terraform unit, ``"terraform"`` (its HCL parsed as JSON:
  ``reconciler.terraform.policy_input``) takes the place of ``"template"``;
- what ``deny`` and ``warn`` hold is cached by the SHA-256 of the policy revision, the
  unit document and the body (``VerdictCache``; the state store keeps one between runs),
  so a body seen before is neither parsed nor evaluated again;
- exceptions are applied after the cache, so an exception that ends changes the verdict
  on its day without invalidating anything;
- policies that do not compile, data that cannot be read, or a rule that fails at run
  time fail closed: the verdict has an ``error`` and the unit is held back.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from reconciler.desired.rendering import RenderedUnit
from reconciler.desired.template_body import BodyError, load_body
from reconciler.desired.units import Unit
from reconciler.errors import Problem
from reconciler.guardrails._rego import PolicyCompileError, PolicyEvaluationError
from reconciler.guardrails.exceptions import apply_exceptions, exception_problems, in_force
from reconciler.guardrails.isolated import IsolatedPolicies, PolicyLimits
from reconciler.guardrails.model import Finding, Severity, Verdict
from reconciler.guardrails.policies import PolicySet, load_policies
from reconciler.specs.model import GuardrailException, Platform
from reconciler.terraform.policy_input import block_line, terraform_document

# Compiled policy revisions kept per process (a long-running one sees a few at a time).
COMPILED_REVISIONS = 8
# Verdicts kept by MemoryVerdictCache; an entry is a few hundred bytes.
DEFAULT_MEMORY_ENTRIES = 100_000
# Bumped when what a cached entry holds changes.
CACHE_FORMAT = "1"


class VerdictCache(Protocol):
    """Where what the policies said of a body is kept: JSON values by content key."""

    def get(self, key: str) -> Any | None: ...

    def put(self, key: str, value: Any) -> None: ...

    def known(self, keys: Iterable[str]) -> set[str]: ...


class MemoryVerdictCache:
    """A bounded in-process ``VerdictCache``; the least recently used entries go first."""

    def __init__(self, max_entries: int = DEFAULT_MEMORY_ENTRIES) -> None:
        self._entries: OrderedDict[str, Any] = OrderedDict()
        self._max = max_entries
        self._lock = threading.Lock()

    def get(self, key: str) -> Any | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: str, value: Any) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def known(self, keys: Iterable[str]) -> set[str]:
        with self._lock:
            return {k for k in keys if k in self._entries}


_compiled: OrderedDict[str, IsolatedPolicies | PolicyCompileError] = OrderedDict()
_compiled_lock = threading.Lock()


def compiled(policies: PolicySet) -> IsolatedPolicies:
    """``policies`` compiled, once per revision (``digest``) in this process, in a worker
    process of their own (``isolated``); a revision dropped stops its worker."""
    with _compiled_lock:
        found = _compiled.get(policies.digest)
        if found is None:
            limits = PolicyLimits.from_env(os.environ)
            try:
                found = IsolatedPolicies(policies.modules, policies.data, policies.digest, limits)
            except PolicyCompileError as exc:
                found = exc
            _compiled[policies.digest] = found
            while len(_compiled) > COMPILED_REVISIONS:
                _, dropped = _compiled.popitem(last=False)
                if isinstance(dropped, IsolatedPolicies):
                    dropped.close()
        else:
            _compiled.move_to_end(policies.digest)
    if isinstance(found, PolicyCompileError):
        raise found
    return found


class Guardrails:
    """The guardrails of one revision on one day; safe to share between threads."""

    def __init__(
        self,
        policies: PolicySet,
        exceptions: Sequence[GuardrailException],
        today: date,
        cache: VerdictCache | None = None,
    ) -> None:
        self.policies = policies
        self.today = today
        self.exceptions = in_force(exceptions, today)
        self.cache: VerdictCache = cache if cache is not None else MemoryVerdictCache()
        self.evaluations = 0  # bodies the policies actually ran on (cache misses)
        self.problems: list[Problem] = list(policies.problems)
        self.problems += exception_problems(exceptions, today, policies.modules)
        self._compiled: IsolatedPolicies | None = None
        self.failure: str | None = None
        if policies.problems:
            first = policies.problems[0]
            self.failure = f"policies/ cannot be read ({first})"
        if policies.modules:
            try:
                self._compiled = compiled(policies)
            except PolicyCompileError as exc:
                self.problems += exc.problems
                self.failure = self.failure or f"the policies do not compile ({exc.problems[0]})"

    @classmethod
    def of_repo(
        cls,
        files: Mapping[str, bytes],
        platform: Platform,
        today: date,
        cache: VerdictCache | None = None,
    ) -> Guardrails | None:
        """The guardrails of a repo's files; None when it has neither policies nor
        exceptions."""
        policies = load_policies(files)
        if policies.empty and not policies.problems and not platform.guardrail_exceptions:
            return None
        return cls(policies, platform.guardrail_exceptions, today, cache)

    @property
    def revision(self) -> str:
        """What a verdict depends on besides the unit and its body: the policy revision
        and the exceptions in force (for memos of whole checks)."""
        active = [[e.rule, list(e.units), e.reason, e.expires] for e in self.exceptions]
        material = json.dumps([self.policies.digest, active, self.failure])
        return hashlib.sha256(material.encode()).hexdigest()[:16]

    def key(self, rendered: RenderedUnit) -> str:
        digest = hashlib.sha256()
        head = [CACHE_FORMAT, self.policies.digest, unit_document(rendered.unit)]
        digest.update(json.dumps(head, sort_keys=True).encode())
        digest.update(b"\0")
        if rendered.terraform is not None:
            # Every file of the folder, not only the variables the body shows.
            digest.update(b"terraform:" + rendered.terraform.fingerprint().encode())
        else:
            digest.update(rendered.body.encode())
        return digest.hexdigest()

    def prefetch(self, rendered: Iterable[RenderedUnit]) -> None:
        """Read the cached results of many bodies at once (one batched read)."""
        if self._compiled is not None:
            self.cache.known(self.key(r) for r in rendered)

    def check(self, rendered: RenderedUnit) -> Verdict:
        unit_id = rendered.unit.id
        if self.failure is not None:
            return Verdict(unit_id, error=self.failure)
        if self._compiled is None:
            return Verdict(unit_id)  # exceptions, and no policy to except from
        key = self.key(rendered)
        found = self.cache.get(key)
        if found is None:
            found = self._evaluate(self._compiled, rendered)
            self.cache.put(key, found)
        if "error" in found:
            return Verdict(unit_id, error=str(found["error"]))
        denials = _findings(found["deny"], "deny")
        standing, excepted = apply_exceptions(unit_id, denials, self.exceptions)
        return Verdict(unit_id, standing, _findings(found["warn"], "warn"), excepted)

    def _evaluate(self, policies: IsolatedPolicies, rendered: RenderedUnit) -> dict[str, Any]:
        self.evaluations += 1
        document: dict[str, Any] = {"unit": unit_document(rendered.unit)}
        if rendered.terraform is not None:
            document["terraform"] = terraform_document(rendered.terraform)
        else:
            try:
                document["template"] = load_body(rendered.body)
            except BodyError as exc:
                return {"error": f"the rendered template does not parse: {exc}"}
        try:
            raw = policies.evaluate(document)
            return {"deny": _checked(raw.deny, "deny"), "warn": _checked(raw.warn, "warn")}
        except PolicyEvaluationError as exc:
            return {"error": f"a policy failed: {exc}"}


def unit_document(unit: Unit) -> dict[str, str | None]:
    """``input.unit``: what a policy may know of the unit besides its template."""
    return {
        "id": unit.id,
        "kind": unit.kind,
        "environment": unit.environment,
        "service": unit.service,
        "instance": unit.instance,
        "team": unit.team,
        "template": unit.template,
        "version": unit.version.version,
        "account": unit.target.id,
        "region": unit.target.region,
    }


def resource_line(body: str, resource: str) -> int | None:
    """The line of the rendered body where logical resource ``resource`` starts."""
    if not resource:
        return None
    pattern = re.compile(rf'^[ \t]+"?{re.escape(resource)}"?[ \t]*:', re.MULTILINE)
    start = body.find("Resources")
    found = pattern.search(body, max(start, 0))
    return body.count("\n", 0, found.start()) + 1 if found else None


def _checked(results: Sequence[Any], name: str) -> list[list[str]]:
    """Each result as ``[rule, resource, message]``; a malformed one fails the unit."""
    rows = []
    for result in results:
        if not isinstance(result, dict) or not all(
            isinstance(result.get(k), str) for k in ("rule", "message")
        ):
            shown = json.dumps(result)[:120]
            raise PolicyEvaluationError(
                f"{name} holds {shown}; each result must be an object "
                '{"rule": ..., "resource": ..., "message": ...} (Rego v1: '
                f"`{name} contains {{...}} if {{...}}`)"
            )
        resource = result.get("resource", "")
        rows.append(
            [
                result["rule"],
                resource if isinstance(resource, str) else str(resource),
                result["message"],
            ]
        )
    return sorted(rows)


def _findings(rows: Sequence[Sequence[str]], severity: Severity) -> tuple[Finding, ...]:
    return tuple(Finding(rule, resource, message, severity) for rule, resource, message in rows)


@dataclass(frozen=True)
class GuardrailSettings:
    """What guardrails need besides the repo; the caller (an edge) supplies both."""

    # The day exceptions are judged on: read from the caller's clock, never in here.
    today: date
    # Where results are kept between runs (the state store's); in memory when None.
    cache: VerdictCache | None = None

    def of_repo(self, files: Mapping[str, bytes], platform: Platform) -> Guardrails | None:
        return Guardrails.of_repo(files, platform, self.today, self.cache)


def verdict_problems(verdict: Verdict, rendered: RenderedUnit) -> tuple[Problem, ...]:
    """A verdict as validation problems: denials and a failure are errors, warnings and
    excepted denials warnings. Each names the template file, the unit (as the field),
    the rule, the logical resource id (and its line in the rendered body) and the message.
    """
    unit = rendered.unit
    template = unit.bundle.infrastructure[unit.infrastructure].path
    problems = []
    if verdict.error is not None:
        problems.append(
            Problem(
                template,
                None,
                unit.id,
                f"guardrails failed, the unit is held back: {verdict.error}",
            )
        )

    def problem(finding: Finding, text: str, severity: str) -> Problem:
        if rendered.terraform is not None:
            # The block in the bundle's own .tf file: the line a developer fixes.
            where = block_line(rendered.terraform, finding.resource)
            if where is not None:
                return Problem(where[0], where[1], unit.id, text, severity)
            return Problem(template, None, unit.id, text, severity)
        line = resource_line(rendered.body, finding.resource)
        at = f"rendered line {line}: " if line is not None else ""
        return Problem(template, line, unit.id, f"{at}{text}", severity)

    for finding in verdict.denials:
        problems.append(problem(finding, f"guardrail {_said(finding, 'denies')}", "error"))
    for finding in verdict.warnings:
        problems.append(problem(finding, f"guardrail {_said(finding, 'warns about')}", "warning"))
    for excepted in verdict.excepted:
        e = excepted.exception
        text = (
            f"guardrail {_said(excepted.finding, 'denies')}; let through by the exception "
            f"at {e.origin.file}:{e.origin.line} until {e.expires} ({e.reason})"
        )
        problems.append(problem(excepted.finding, text, "warning"))
    return tuple(problems)


def _said(finding: Finding, verb: str) -> str:
    what = f" {finding.resource}" if finding.resource else " the template"
    return f"{finding.rule} {verb}{what}: {finding.message}"
