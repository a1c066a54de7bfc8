"""The cross-spec rules a build checks: bindings, team entitlements, stack names, the
accounts units are aimed at, and the repository fields templates read.

Each takes specs or units and appends what is wrong to ``problems`` (or returns it), with
the file, line and field, so the build can report everything at once.
"""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.desired.units import (
    STACK_NAME,
    Unit,
    UnitKind,
    component_id,
    instance_id,
    pipeline_id,
)
from reconciler.errors import Problem
from reconciler.render import service_fields_read
from reconciler.specs.model import (
    CONNECTION_PROVIDERS,
    Account,
    Instance,
    Origin,
    Platform,
    Service,
    Specs,
)
from reconciler.templates.model import TemplateFile
from reconciler.terraform.reads import terraform_service_fields

# ``service.<field>`` of Proton's namespace → its key in a unit's ``repository``.
REPOSITORY_FIELDS = {
    "repository_id": "id",
    "branch_name": "branch",
    "repository_connection_arn": "connection_arn",
}


def at_field(origin: Origin, field_: str, message: str) -> Problem:
    return Problem(origin.file, origin.line, field_, message)


def resolve_bindings(
    specs: Specs, instance: Instance, at: str, problems: list[Problem]
) -> dict[str, str]:
    """Binding alias → the unit id it reads, in the instance's environment; problems else."""
    out = {}
    for binding in instance.bindings:
        target = specs.services.get(binding.service)
        where = f"{at}.bindings.{binding.alias}"
        if target is None:
            problems.append(
                at_field(
                    binding.origin,
                    where,
                    f"binds service {binding.service!r}, which does not exist",
                )
            )
            continue
        peers = [i for i in target.instances if i.environment == instance.environment]
        if not peers:
            problems.append(
                at_field(
                    binding.origin,
                    where,
                    f"service {binding.service!r} has no instance in "
                    f"environment {instance.environment!r}",
                )
            )
            continue
        if len(peers) > 1:
            names = ", ".join(p.name for p in peers)
            problems.append(
                at_field(
                    binding.origin,
                    where,
                    f"service {binding.service!r} has several instances "
                    f"in {instance.environment!r} ({names}); a binding "
                    "needs exactly one",
                )
            )
            continue
        out[binding.alias] = instance_id(target.name, peers[0].name)
    return out


def check_team(specs: Specs, service: Service, problems: list[Problem]) -> list[tuple[str, str]]:
    """Report entitlement problems; return (unit id, reason) for each denied unit."""
    teams = specs.teams
    if teams is None:
        return []
    origin = service.origin
    everything = [u for i in service.instances for u in _instance_units(service, i)]
    everything.append(pipeline_id(service.name))
    if service.team is None:
        reason = "missing: every service names its owning team (teams.yaml exists)"
        problems.append(at_field(origin, "metadata.team", reason))
        return [(u, reason) for u in everything]
    team = teams.teams.get(service.team)
    if team is None:
        known = ", ".join(sorted(teams.teams))
        reason = f"team {service.team!r} is not in teams.yaml; teams: {known}"
        problems.append(at_field(origin, "metadata.team", reason))
        return [(u, reason) for u in everything]
    denials: list[tuple[str, str]] = []
    if not team.may_use_template(service.template.name):
        allowed = ", ".join(team.templates) or "none"
        reason = (
            f"team {team.name!r} may not use template {service.template.name!r}; allowed: {allowed}"
        )
        problems.append(at_field(service.template.origin, "spec.template.name", reason))
        denials += [(u, reason) for u in everything]
    for index, instance in enumerate(service.instances):
        if not team.may_use_environment(instance.environment):
            allowed = ", ".join(team.environments) or "none"
            reason = (
                f"team {team.name!r} may not deploy to environment "
                f"{instance.environment!r}; allowed: {allowed}"
            )
            problems.append(
                at_field(instance.origin, f"spec.instances[{index}].environment", reason)
            )
            denials += [(u, reason) for u in _instance_units(service, instance)]
    return denials


def _instance_units(service: Service, instance: Instance) -> list[str]:
    """The instance's unit id, after those of its components."""
    return [
        *(component_id(service.name, instance.name, c.name) for c in instance.components),
        instance_id(service.name, instance.name),
    ]


def stack_name_problems(units: Mapping[str, Unit]) -> list[Problem]:
    """Stack names are valid and unique per account and region, given and derived alike."""
    problems = []
    seen: dict[tuple[str, str, str], str] = {}
    # Derived names first, then given ones in file order: a clash is reported at the name
    # written last, where it was introduced.
    for unit in sorted(units.values(), key=_stack_name_order):
        origin = unit.stack_name_origin or unit.origin
        if unit.is_terraform:
            if unit.external:
                problems.append(
                    at_field(
                        origin,
                        origin.field,
                        f"{unit.id} is a Terraform unit: it has no CloudFormation stack to "
                        f"name or adopt; remove stackName {unit.stack_name!r}",
                    )
                )
            continue
        if not STACK_NAME.match(unit.stack_name):
            problems.append(
                at_field(
                    origin,
                    origin.field,
                    f"stack name {unit.stack_name!r} of {unit.id} is not valid for "
                    "CloudFormation: a letter, then letters, digits and hyphens, "
                    "at most 128 characters; use shorter names",
                )
            )
        key = (unit.target.id, unit.target.region, unit.stack_name)
        if key in seen:
            problems.append(
                at_field(
                    origin,
                    origin.field,
                    f"{unit.id} and {seen[key]} would both be stack "
                    f"{unit.stack_name!r} in {unit.target.id}/{unit.target.region}; "
                    "each stack belongs to one unit",
                )
            )
        seen.setdefault(key, unit.id)
    return problems


def _stack_name_order(unit: Unit) -> tuple[bool, str, int, str]:
    origin = unit.stack_name_origin or unit.origin
    return (unit.external, origin.file, origin.line or 0, unit.id)


def refused_target(account: Account) -> str | None:
    """Why no unit may be aimed at ``account`` (its role is another account's), or None.

    The spec's own file reports the problem once (the loader); every unit aimed there is
    left unbuilt with this reason, so nothing lands in an account no spec names.
    """
    why = account.role_problem()
    return f"not aimed at account {account.id}: {why}" if why else None


def repository_of(service: Service, platform: Platform) -> dict[str, str | None]:
    """A unit's ``repository``: the service's, with the platform's connection as fallback."""
    repo = service.repository
    if repo is None:
        return {}
    return {
        "id": repo.id,
        "branch": repo.branch,
        "connection_arn": platform.connection_of(repo),
        "provider": repo.provider,
    }


def repository_problem(
    service: Service, platform: Platform, file: TemplateFile, kind: UnitKind
) -> Problem | None:
    """A template of ``service`` reads a ``service.repository_*`` field that nothing sets."""
    given = repository_of(service, platform)
    if all(given.get(key) for key in REPOSITORY_FIELDS.values()):
        return None  # everything a template may read is set: no need to look
    read = terraform_service_fields(file) if file.is_terraform else service_fields_read(file)
    missing = sorted(
        field_
        for field_ in read & REPOSITORY_FIELDS.keys()
        if not given.get(REPOSITORY_FIELDS[field_])
    )
    if not missing:
        return None
    reads = ", ".join(f"service.{f}" for f in missing)
    where = f"the {kind} template {file.path} reads {reads}"
    repo = service.repository
    if repo is None:
        connection = (
            " and a connection (spec.repository.connectionArn, or goldenpath.yaml "
            "spec.pipelines.repositoryConnections.<provider>)"
            if "repository_connection_arn" in missing
            else ""
        )
        return at_field(
            service.origin,
            "spec.repository",
            f"{where}, and the service gives no repository: expected spec.repository: "
            f"{{provider, id, branch}}{connection}",
        )
    platform_wide = (
        f", or goldenpath.yaml spec.pipelines.repositoryConnections.{repo.provider}"
        if repo.provider in CONNECTION_PROVIDERS
        else ""
    )
    return at_field(
        repo.origin,
        "spec.repository.connectionArn",
        f"{where}, and no connection is given for the {repo.provider} repository "
        f"{repo.id}: expected spec.repository.connectionArn{platform_wide}",
    )
