"""Goldenpath's one error tree, and the diagnostics that validation reports.

Every error says what the retry policy is, so that the reconcile loop never has to guess
from a message. Third-party errors are translated at the edge that meets them, in one
place, always with ``raise ... from exc``.

    GoldenpathError
    ├── Stalling                 needs a new commit; retrying cannot help
    │   ├── SpecError            a spec, bundle or template is invalid (carries Problems)
    │   ├── RenderError          Jinja failed, or rendered output is not a template
    │   └── PolicyDenied         a team or guardrail forbids the change
    ├── Waiting                  transient; retry after ``delay`` seconds
    │   ├── CloudThrottled       the cloud API throttled us
    │   ├── CloudUnreachable     network error talking to the cloud
    │   └── ProvisioningUnavailable  the provisioning repository cannot be fetched or pushed
    ├── CloudError               the cloud refused or failed an operation
    ├── StateError               the state store is unusable (schema, connection)
    ├── LeaseHeld                another process is operating on the unit
    ├── SourceError              the platform repo cannot be read (clone, fetch, revision)
    ├── ActionRefused            a write action (cancel, retry, ...) cannot be done as asked
    │   ├── UnitNotFound         no such unit is recorded
    │   ├── DeploymentNotFound   a notification names a deployment id never written
    │   ├── ActionConflict       the unit or its stack is not in a state the action fits
    │   └── ActionInputInvalid   the request itself is malformed (names the field)
    └── AccessRefused            the caller may not make this write request
        ├── NotAuthenticated     no token, or one that is malformed, unknown or revoked
        └── NotPermitted         a valid token whose scope does not cover the unit
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input: where it is, and what was expected.

    ``file`` is relative to the platform repo root; ``line`` is 1-based, or ``None``
    when the problem is about a whole file or is not tied to a line; ``field`` is a
    dotted path into the document (``spec.instances[0].environment``), or ``""``.
    """

    file: str
    line: int | None
    field: str
    message: str
    severity: str = "error"  # "error" | "warning"

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
        if self.field:
            where += f" {self.field}"
        return f"{where}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "field": self.field,
            "message": self.message,
            "severity": self.severity,
        }


class GoldenpathError(Exception):
    """Base of every error Goldenpath raises on purpose."""


class Stalling(GoldenpathError):
    """The unit cannot progress until the platform repo changes."""


class SpecError(Stalling):
    """Specs, bundles or templates are invalid. Holds every problem found, not the first."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems) or "invalid input")


class RenderError(Stalling):
    """A template failed to render: carries the template file and line."""

    def __init__(self, file: str, line: int | None, message: str) -> None:
        self.problem = Problem(file=file, line=line, field="", message=message)
        super().__init__(str(self.problem))


class PolicyDenied(Stalling):
    """A team entitlement or a guardrail forbids what the spec asks for."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


class Waiting(GoldenpathError):
    """Transient: the same operation may succeed after ``delay`` seconds."""

    def __init__(self, message: str, delay: float = 1.0) -> None:
        self.delay = delay
        super().__init__(message)


class CloudThrottled(Waiting):
    """The cloud API throttled a call."""


class CloudUnreachable(Waiting):
    """A network error kept a call from reaching the cloud API."""


class ProvisioningUnavailable(Waiting):
    """Git could not fetch or push the provisioning repository (Terraform units)."""


class CloudError(GoldenpathError):
    """The cloud refused or failed an operation (a stack failed, a call was invalid)."""


class StateError(GoldenpathError):
    """The state store is unusable: unreachable, or at a schema revision we do not know."""


class LeaseHeld(GoldenpathError):
    """Another process holds the lease on a unit; this one must not touch its stack."""


class SourceError(GoldenpathError):
    """The platform repo could not be read: a bad path, clone URL or revision."""


class ActionRefused(GoldenpathError):
    """A write action on a unit (cancel, retry, continue-update-rollback) cannot be done.

    Nothing was changed in the cloud or the state store; the message says why and what
    would make the action possible.
    """


class UnitNotFound(ActionRefused):
    """No unit with that id is recorded in the state store."""


class DeploymentNotFound(ActionRefused):
    """A Terraform notification names a deployment id Goldenpath never wrote."""


class ActionConflict(ActionRefused):
    """The unit or its stack is not in a state the action applies to (no stack yet, a
    stack that is not updating, nothing to retry ...)."""


class ActionInputInvalid(ActionRefused):
    """The request is malformed: a field is missing, of the wrong type, or unknown."""


class AccessRefused(GoldenpathError):
    """A write request's credentials do not allow it; nothing was changed."""


class NotAuthenticated(AccessRefused):
    """No token was sent, or it is malformed, unknown or revoked (HTTP 401)."""


class NotPermitted(AccessRefused):
    """The token is valid, but its scope does not cover the unit (HTTP 403)."""
