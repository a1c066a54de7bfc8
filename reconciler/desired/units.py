"""Units: one CloudFormation stack each, with a stable id, a target and a stack name.

Unit ids are the contract of the command line and the API (``service/my-webapp/test``);
stack names are derived from them deterministically, so the same repo always maps to the
same stacks, even after the state store is lost.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from reconciler.specs.model import Account, Origin, StackName
from reconciler.templates.model import Bundle, InfrastructureKind, TemplateVersion

UnitKind = Literal["environment", "service", "pipeline", "component"]
INFRASTRUCTURE_OF: Mapping[UnitKind, InfrastructureKind] = {
    "environment": "infrastructure",
    "service": "instance_infrastructure",
    "pipeline": "pipeline_infrastructure",
    "component": "component",
}
STACK_PREFIX = "goldenpath"
# CloudFormation: a letter first, then letters, digits and hyphens, at most 128 characters.
STACK_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,127}$")
TAG_PREFIX = "goldenpath:"


def environment_id(env: str) -> str:
    return f"environment/{env}"


def instance_id(service: str, instance: str) -> str:
    return f"service/{service}/{instance}"


def pipeline_id(service: str) -> str:
    return f"pipeline/{service}"


def component_id(service: str, instance: str, component: str) -> str:
    return f"component/{service}/{instance}/{component}"


def stack_name(unit_id: str) -> str:
    """``service/my_app/test`` → ``goldenpath-service-my-app-test``."""
    return "-".join([STACK_PREFIX, *unit_id.split("/")]).replace("_", "-")


def named_stack(unit_id: str, given: StackName | None) -> tuple[str, Origin | None]:
    """The unit's stack name and, when the spec gave it, where: ``stackName`` wins."""
    if given is not None:
        return given.name, given.origin
    return stack_name(unit_id), None


@dataclass(frozen=True)
class InstanceRef:
    """What a pipeline knows of each instance it deploys."""

    unit_id: str
    name: str
    environment: str


@dataclass(frozen=True)
class Unit:
    """One stack of the desired state, ready to render once its dependencies' outputs are."""

    id: str
    kind: UnitKind
    target: Account
    stack_name: str
    template: str
    version: TemplateVersion
    bundle: Bundle
    inputs: Mapping[str, Any]
    origin: Origin
    depends_on: tuple[str, ...] = ()
    environment: str | None = None  # environment name (environments and instances)
    service: str | None = None
    instance: str | None = None
    team: str | None = None
    bindings: Mapping[str, str] = field(default_factory=dict)  # alias → unit id
    instances: tuple[InstanceRef, ...] = ()  # pipelines: the instances they deploy
    repository: Mapping[str, str | None] = field(default_factory=dict)
    holds_data: bool = False
    # True when the spec names an exact version ("1.2"): updates never move the unit.
    pinned: bool = False
    # The major the spec asked for, and how minor versions move for this unit.
    updates: str = "manual"
    # Where the spec names the stack (``stackName``, an existing stack to adopt); None when
    # the stack name is derived from the unit id.
    stack_name_origin: Origin | None = None
    # Instances: attached component name → its unit id; components: their own name.
    components: Mapping[str, str] = field(default_factory=dict)
    component: str | None = None
    # The CloudFormation service role (``RoleARN``) the stack's operations run with: the
    # environment's component role for components; None (the caller's role) otherwise.
    service_role: str | None = None

    def __post_init__(self) -> None:
        if self.is_terraform and self.stack_name_origin is None:
            # No stack: its records say so with an empty stack name (plan.diff reads that
            # for units whose spec is gone, to keep them away from CloudFormation).
            object.__setattr__(self, "stack_name", "")

    @property
    def external(self) -> bool:
        """The spec names the stack: it is adopted when it exists, never created."""
        return self.stack_name_origin is not None

    @property
    def infrastructure(self) -> InfrastructureKind:
        return INFRASTRUCTURE_OF[self.kind]

    @property
    def is_terraform(self) -> bool:
        """Rendered into a provisioning repository and run by the team's CI: the unit has
        no CloudFormation stack (its ``stack_name`` is empty)."""
        file = self.bundle.infrastructure.get(self.infrastructure)
        return file is not None and file.is_terraform

    @property
    def tags(self) -> dict[str, str]:
        tags = {
            f"{TAG_PREFIX}unit": self.id,
            f"{TAG_PREFIX}kind": self.kind,
            f"{TAG_PREFIX}template": f"{self.template}:{self.version.version}",
        }
        for key, value in (
            ("environment", self.environment),
            ("service", self.service),
            ("instance", self.instance),
            ("component", self.component),
            ("team", self.team),
        ):
            if value:
                tags[f"{TAG_PREFIX}{key}"] = value
        return tags


@dataclass(frozen=True)
class DesiredState:
    """Every unit the repo asks for at one revision, in dependency order."""

    revision: str
    units: Mapping[str, Unit]
    order: tuple[str, ...]  # dependencies first
    # Units a policy forbids (team entitlements), with the reason; never applied.
    denied: Mapping[str, str] = field(default_factory=dict)
    # True when the repo had errors: then nothing recorded may be deleted, since a unit
    # missing from ``units`` may only be missing because its spec failed to load.
    incomplete: bool = False
    # Units whose spec has errors, with the first one: not built, so never applied.
    invalid: Mapping[str, str] = field(default_factory=dict)

    def dependants(self, unit_id: str) -> list[str]:
        return [u for u in self.order if unit_id in self.units[u].depends_on]
