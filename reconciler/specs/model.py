"""The spec kinds of a platform repo, as immutable values.

These are what the rest of the engine reads: loaded and schema-checked YAML turned into
frozen dataclasses. Each value remembers where it came from (``Origin``), so that a later
cross-spec check can still point at the file and line that is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any, Literal

UpdatePolicy = Literal["automatic", "manual"]
# An IAM role ARN, in any partition; group 1 is the account the role belongs to.
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::([0-9]{12}):role/[\w+=,.@/-]+$")


@dataclass(frozen=True)
class Origin:
    """Where a value was written: repo-relative file, 1-based line, dotted field path."""

    file: str
    line: int | None = None
    field: str = ""


@dataclass(frozen=True)
class TemplateRef:
    """``{name, version}`` in a spec: ``"1"`` asks for major 1, ``"1.2"`` pins 1.2."""

    name: str
    version: str
    origin: Origin

    @property
    def major(self) -> int:
        return int(self.version.split(".", 1)[0])

    @property
    def minor(self) -> int | None:
        parts = self.version.split(".", 1)
        return int(parts[1]) if len(parts) == 2 else None


@dataclass(frozen=True)
class Account:
    """Where a stack lives: an AWS account, its region and the role Goldenpath assumes."""

    id: str
    region: str
    role_arn: str | None = None

    def role_problem(self, id_field: str = "account.id") -> str | None:
        """Why the role cannot be this account's (None: no role, or one of its own);
        ``id_field`` is where the account id is written, for the message.

        Assuming a role lands every stack in the role's account, whatever ``id`` says,
        so a role of another account would deploy somewhere the spec never names.
        """
        if self.role_arn is None:
            return None
        expected = f"arn:aws:iam::{self.id}:role/<name>"
        match = ROLE_ARN.match(self.role_arn)
        if match is None:
            return f"{self.role_arn!r} is not an IAM role ARN; expected {expected}"
        if match[1] != self.id:
            return (
                f"the role is in account {match[1]}, not in account {self.id} that "
                f"{id_field} names: its stacks would land in {match[1]}; expected a role "
                f"of account {self.id}, {expected}"
            )
        return None


@dataclass(frozen=True)
class StackName:
    """``stackName``: an existing stack the unit takes over (adopts) instead of a derived name.

    It is kept in git, not only in the state store, so a lost state database can never lead
    to a second copy (the model is Crossplane's external-name annotation).
    """

    name: str
    origin: Origin


@dataclass(frozen=True)
class ComponentRole:
    """``componentRoleArn`` of an environment: the role its components deploy with.

    It is passed to CloudFormation as the component stacks' service role (``RoleARN``),
    as Proton did: CloudFormation then creates, updates and deletes a component's
    resources with this role's permissions only, never the deployer's.
    """

    arn: str
    origin: Origin


@dataclass(frozen=True)
class Environment:
    name: str
    template: TemplateRef
    account: Account
    updates: UpdatePolicy
    inputs: Mapping[str, Any]
    origin: Origin
    stack_name: StackName | None = None
    component_role: ComponentRole | None = None


@dataclass(frozen=True)
class Binding:
    """``bindings: {alias: {service: other}}``: read ``other``'s outputs in the same env."""

    alias: str
    service: str
    origin: Origin


@dataclass(frozen=True)
class ComponentAttachment:
    """``components: [name, …]`` of an instance: a folder of ``services/<svc>/components/``.

    Each attachment is a stack of its own; ``stack_name`` adopts an existing one.
    """

    name: str
    origin: Origin
    stack_name: StackName | None = None


@dataclass(frozen=True)
class Instance:
    name: str
    environment: str
    inputs: Mapping[str, Any]
    bindings: tuple[Binding, ...]
    origin: Origin
    # An instance may pin its own version; otherwise it follows the service's template.
    template_version: str | None = None
    stack_name: StackName | None = None
    components: tuple[ComponentAttachment, ...] = ()


@dataclass(frozen=True)
class Repository:
    provider: str
    id: str
    branch: str
    connection_arn: str | None = None
    origin: Origin = Origin("")  # the line of ``spec.repository``


@dataclass(frozen=True)
class Pipeline:
    inputs: Mapping[str, Any]
    origin: Origin
    stack_name: StackName | None = None


@dataclass(frozen=True)
class Service:
    name: str
    team: str | None
    template: TemplateRef
    updates: UpdatePolicy
    repository: Repository | None
    pipeline: Pipeline | None
    instances: tuple[Instance, ...]
    origin: Origin


@dataclass(frozen=True)
class Team:
    name: str
    members: tuple[str, ...]
    admin: bool = False
    templates: tuple[str, ...] = ()
    environments: tuple[str, ...] = ()

    def may_use_template(self, template: str) -> bool:
        return self.admin or "*" in self.templates or template in self.templates

    def may_use_environment(self, environment: str) -> bool:
        return self.admin or "*" in self.environments or environment in self.environments


@dataclass(frozen=True)
class Teams:
    teams: Mapping[str, Team]
    origin: Origin

    def of_member(self, user: str) -> tuple[Team, ...]:
        return tuple(t for t in self.teams.values() if user in t.members)

    def is_admin(self, user: str) -> bool:
        return any(t.admin for t in self.of_member(user))


@dataclass(frozen=True)
class PruneRules:
    """May a removed spec delete its stacks? Per unit kind; data-safe defaults.

    A component removed from an instance is deleted by default: its data resources are
    kept regardless (components always get the keeping policies, see ``retention``).
    """

    environment: bool = False
    service: bool = False
    pipeline: bool = False
    component: bool = True


@dataclass(frozen=True)
class ForgeConfig:
    """``spec.forge`` of goldenpath.yaml: the non-secret half of forge settings."""

    provider: str | None = None
    url: str | None = None
    repo: str | None = None
    branch: str | None = None


DEFAULT_NOTIFICATION_TIMEOUT = 3600.0


@dataclass(frozen=True)
class ProvisioningRepository:
    """``spec.terraform.repository``: where Terraform units are written, as Proton's
    self-managed provisioning wrote them (``<env>/``, ``<env>/<service>-<instance>/``)."""

    provider: str  # github | gitlab
    repo: str  # owner/name on GitHub; a project id or path on GitLab
    branch: str = "main"  # the branch pull requests merge into
    # The git clone URL; None: https://github.com/<repo>.git or https://gitlab.com/<repo>.git.
    url: str | None = None
    origin: Origin = field(default_factory=lambda: Origin("goldenpath.yaml"))

    @property
    def clone_url(self) -> str:
        if self.url:
            return self.url
        host = "github.com" if self.provider == "github" else "gitlab.com"
        return f"https://{host}/{self.repo}.git"


@dataclass(frozen=True)
class TerraformSettings:
    """``spec.terraform`` of goldenpath.yaml."""

    repository: ProvisioningRepository | None = None
    # Seconds a written unit may wait for its notification before it is marked Stalled.
    notification_timeout: float = DEFAULT_NOTIFICATION_TIMEOUT


# Source providers whose repositories a pipeline reads through a CodeStar connection.
CONNECTION_PROVIDERS = ("github", "gitlab", "bitbucket")


# The unit kinds ``spec.drift.heal`` may name; the others there are unit ids or globs.
HEAL_KINDS = ("environment", "service", "pipeline", "component")
DEFAULT_DRIFT_INTERVAL = 600.0


@dataclass(frozen=True)
class DriftSettings:
    """``spec.drift`` of goldenpath.yaml: scheduled drift detection and self-heal."""

    interval: float | None = DEFAULT_DRIFT_INTERVAL
    """Seconds within which every deployed stack is checked once; None: never (``off``)."""
    heal: tuple[str, ...] = ()
    """Unit kinds, unit ids or globs (``service/*/test``) whose drifted stacks are applied
    again from git. A data template's unit is healed only when named by its exact id."""
    calls_per_minute: int = 60
    """AWS API calls per minute per account that drift checks may make."""

    def heals(self, unit_id: str, *, holds_data: bool) -> bool:
        """Whether a drifted stack of ``unit_id`` is applied again from git."""
        if holds_data:
            return unit_id in self.heal
        kind = unit_id.split("/", 1)[0]
        return any(entry == kind or fnmatchcase(unit_id, entry) for entry in self.heal)


@dataclass(frozen=True)
class GuardrailException:
    """``spec.guardrails.exceptions[]`` of goldenpath.yaml: a guardrail rule that does not
    deny the units matching ``units`` (globs on unit ids) until ``expires`` has passed.

    ``expires`` is the ISO date as written (``2027-03-01``): the last day it applies.
    """

    rule: str
    units: tuple[str, ...]
    reason: str
    expires: str
    origin: Origin


# The events a notification target may ask for (reconciler.notifications sends them).
NOTIFICATION_EVENTS = (
    "deploy.succeeded",
    "deploy.failed",
    "rollout.halted",
    "drift.found",
    "exception.expiring",
    "update_pr.opened",
)
NotificationFormat = Literal["json", "slack"]
DEFAULT_EXPIRING_WITHIN = 14 * 86400.0


@dataclass(frozen=True)
class NotificationTarget:
    """``spec.notifications[]`` of goldenpath.yaml: a webhook told about some events.

    The URL and the signing secret are never in the repo: ``url_from`` and ``secret_from``
    name the environment variables of ``serve`` that hold them.
    """

    name: str
    format: NotificationFormat
    url_from: str
    events: tuple[str, ...]
    secret_from: str | None = None
    expiring_within: float = DEFAULT_EXPIRING_WITHIN
    """Seconds before a guardrail exception expires that ``exception.expiring`` is sent."""
    origin: Origin = field(default_factory=lambda: Origin("goldenpath.yaml"))

    def wants(self, kind: str) -> bool:
        return kind in self.events

    @property
    def variables(self) -> tuple[str, ...]:
        """The environment variables it needs."""
        return (self.url_from,) + ((self.secret_from,) if self.secret_from else ())


@dataclass(frozen=True)
class Platform:
    """``goldenpath.yaml``: platform-wide settings. Every field has a safe default."""

    name: str = "platform"
    region: str = "us-east-1"
    rollout_order: tuple[str, ...] = ()
    pipeline_account: Account | None = None
    # Provider → the CodeStar connection a service's pipeline reads its repository
    # through, when the service's ``spec.repository.connectionArn`` gives none.
    repository_connections: Mapping[str, str] = field(default_factory=dict)
    prune: PruneRules = field(default_factory=PruneRules)
    lint_ignore_checks: tuple[str, ...] = ()
    # Templates whose stacks hold data: their data resources are kept on delete.
    data_templates: tuple[str, ...] = ()
    forge: ForgeConfig = field(default_factory=ForgeConfig)
    drift: DriftSettings = field(default_factory=DriftSettings)
    origin: Origin = field(default_factory=lambda: Origin("goldenpath.yaml"))
    # Admins' exceptions to the guardrails (policies/), each with a reason and an end.
    guardrail_exceptions: tuple[GuardrailException, ...] = ()
    terraform: TerraformSettings = field(default_factory=TerraformSettings)
    # Webhook targets told about deployments, rollouts, drift, exceptions and update PRs.
    notifications: tuple[NotificationTarget, ...] = ()

    def connection_of(self, repository: Repository) -> str | None:
        """The connection a pipeline reads ``repository`` through: the service's own,
        else the platform's for its provider, else None."""
        return repository.connection_arn or self.repository_connections.get(repository.provider)


@dataclass(frozen=True)
class Specs:
    """Every spec of a platform repo at one revision, after per-file schema checks."""

    platform: Platform
    teams: Teams | None
    environments: Mapping[str, Environment]
    services: Mapping[str, Service]
    # Why goldenpath.yaml is in error, if it is. Its settings decide where and how every
    # unit deploys (region, pipelines account, data templates), so then none is built.
    platform_error: str | None = None
