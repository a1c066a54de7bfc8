"""The values that cross the cloud edge, in Goldenpath's words rather than boto3's.

The engine speaks about targets, stacks, changes and events; the AWS implementation turns
these into API parameters and turns responses back into these values. Everything here is
immutable and free of I/O, so the engine can hold, compare and log them safely.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from reconciler.cloud.status import Phase, phase

# CloudFormation's documented limits on names and idempotency tokens.
_STACK_NAME = re.compile(r"[A-Za-z][-A-Za-z0-9]{0,127}")
_CHANGE_SET_NAME = re.compile(r"[A-Za-z][-A-Za-z0-9]{0,127}")
_REQUEST_TOKEN = re.compile(r"[A-Za-z0-9][-A-Za-z0-9]{0,127}")
_ACCOUNT_ID = re.compile(r"\d{12}")
# arn:<partition>:iam::<account>:role/<path/name>
_ROLE_ARN = re.compile(r"arn:[a-z-]+:iam::(?P<account>\d{12}):role/.+")

#: Every stack may hold IAM resources and macros: the platform team reviews templates.
ALL_CAPABILITIES: tuple[str, ...] = (
    "CAPABILITY_IAM",
    "CAPABILITY_NAMED_IAM",
    "CAPABILITY_AUTO_EXPAND",
)

ChangeAction = Literal["Add", "Modify", "Remove", "Import", "Dynamic"]
Replacement = Literal["True", "False", "Conditional"]


@dataclass(frozen=True)
class Target:
    """Where stacks live: one AWS account and region, reached through an optional role.

    Without ``role_arn`` the ambient credentials are used as they are. With it, the role
    must belong to ``account_id``: a role in another account would deploy somewhere the
    spec did not ask for, so that is refused when the target is built.
    """

    account_id: str
    region: str
    role_arn: str | None = None

    def __post_init__(self) -> None:
        if not _ACCOUNT_ID.fullmatch(self.account_id):
            raise ValueError(
                f"account id {self.account_id!r}: expected 12 digits, like '111111111111'"
            )
        if not self.region:
            raise ValueError(f"account {self.account_id}: region must not be empty")
        if self.role_arn is not None:
            match = _ROLE_ARN.fullmatch(self.role_arn)
            if match is None:
                raise ValueError(
                    f"role {self.role_arn!r}: expected arn:aws:iam::<account>:role/<name>"
                )
            if match["account"] != self.account_id:
                raise ValueError(
                    f"role {self.role_arn} belongs to account {match['account']}, "
                    f"not to the target account {self.account_id}"
                )

    def __str__(self) -> str:
        return f"{self.account_id}/{self.region}"


@dataclass(frozen=True)
class StackRef:
    """One stack by name within a target: the key of ``Cloud.wait`` results."""

    target: Target
    name: str

    def __str__(self) -> str:
        return f"{self.target}/{self.name}"


@dataclass(frozen=True)
class StackRequest:
    """What a create, update or change-set preview sends: the rendered stack."""

    name: str
    body: str
    parameters: Mapping[str, str] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    capabilities: tuple[str, ...] = ALL_CAPABILITIES
    # The stack's CloudFormation service role (``RoleARN``): CloudFormation creates,
    # updates and deletes the stack's resources with it, not with the caller's
    # credentials. None: the caller's. Components run with their environment's.
    service_role: str | None = None

    def __post_init__(self) -> None:
        check_stack_name(self.name)
        if self.service_role is not None and not _ROLE_ARN.fullmatch(self.service_role):
            raise ValueError(
                f"service role {self.service_role!r}: expected arn:aws:iam::<account>:role/<name>"
            )


@dataclass(frozen=True)
class StackState:
    """A stack as CloudFormation describes it now."""

    name: str
    stack_id: str
    status: str
    status_reason: str | None
    outputs: Mapping[str, str]
    tags: Mapping[str, str]
    parameters: Mapping[str, str]
    last_updated: datetime

    @property
    def phase(self) -> Phase:
        return phase(self.status)


@dataclass(frozen=True)
class StackEvent:
    """One line of a stack's event log: a resource (or the stack) changed status."""

    event_id: str
    stack_name: str
    logical_id: str
    physical_id: str | None
    resource_type: str
    status: str
    reason: str | None
    timestamp: datetime

    @property
    def is_stack(self) -> bool:
        """True for events about the stack itself rather than one of its resources."""
        return self.resource_type == "AWS::CloudFormation::Stack" and (
            self.logical_id == self.stack_name
        )


@dataclass(frozen=True)
class ResourceChange:
    """One resource a change set would touch, and whether it would be replaced.

    ``replacement`` is ``None`` where CloudFormation does not say (Add and Remove, and
    emulators that do not compute it).
    """

    logical_id: str
    type: str
    action: ChangeAction
    replacement: Replacement | None = None
    physical_id: str | None = None


@dataclass(frozen=True)
class ChangeSetPreview:
    """What an update would do. ``no_changes`` means CloudFormation found nothing to do."""

    changes: tuple[ResourceChange, ...]
    no_changes: bool


@dataclass(frozen=True)
class Updated:
    """UpdateStack was accepted; the stack is now updating."""

    stack_id: str


@dataclass(frozen=True)
class NoChange:
    """UpdateStack found nothing to do ("No updates are to be performed")."""

    name: str


UpdateOutcome = Updated | NoChange

DetectionStatus = Literal["DETECTION_IN_PROGRESS", "DETECTION_COMPLETE", "DETECTION_FAILED"]
ResourceDriftStatus = Literal["IN_SYNC", "MODIFIED", "DELETED", "NOT_CHECKED", "UNKNOWN"]


@dataclass(frozen=True)
class DriftDetection:
    """A drift detection CloudFormation runs on one stack (DetectStackDrift), as it stands.

    ``stack_drift_status`` is ``DRIFTED``, ``IN_SYNC``, ``NOT_CHECKED`` or ``UNKNOWN``;
    ``reason`` says why a detection failed (some resources could not be checked).
    """

    detection_id: str
    status: DetectionStatus
    stack_drift_status: str
    drifted_resources: int
    reason: str | None = None

    @property
    def finished(self) -> bool:
        return self.status != "DETECTION_IN_PROGRESS"


@dataclass(frozen=True)
class PropertyDifference:
    """One property of a drifted resource: where, what the template says, what is live."""

    path: str
    expected: str | None
    actual: str | None
    kind: str  # ADD | REMOVE | NOT_EQUAL


@dataclass(frozen=True)
class ResourceDrift:
    """A resource of a stack as the last drift detection found it."""

    logical_id: str
    type: str
    status: ResourceDriftStatus
    physical_id: str | None = None
    differences: tuple[PropertyDifference, ...] = ()


@dataclass(frozen=True)
class WaitProgress:
    """Reported by ``Cloud.wait`` each time a stack's status is first seen or changes.

    ``state`` is ``None`` when the stack no longer exists (deleted). ``finished`` counts
    the stacks that have reached a terminal state so far, out of ``total``.
    """

    ref: StackRef
    state: StackState | None
    finished: int
    total: int


def check_stack_name(name: str) -> str:
    """Return ``name`` if CloudFormation accepts it as a stack name, else raise ValueError."""
    if not _STACK_NAME.fullmatch(name):
        raise ValueError(
            f"stack name {name!r}: expected a letter, then letters, digits or '-', "
            "128 characters at most"
        )
    return name


def check_change_set_name(name: str) -> str:
    """Return ``name`` if CloudFormation accepts it as a change set name, else raise."""
    if not _CHANGE_SET_NAME.fullmatch(name):
        raise ValueError(
            f"change set name {name!r}: expected a letter, then letters, digits or '-', "
            "128 characters at most"
        )
    return name


def check_request_token(token: str) -> str:
    """Return ``token`` if CloudFormation accepts it as a ClientRequestToken, else raise."""
    if not _REQUEST_TOKEN.fullmatch(token):
        raise ValueError(
            f"request token {token!r}: expected letters, digits or '-' "
            "(not starting with '-'), 128 characters at most"
        )
    return token
