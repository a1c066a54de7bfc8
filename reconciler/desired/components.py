"""The components attached to one instance: their units, and every reason to refuse one.

A directly defined component (``services/<svc>/components/<name>/``) becomes one unit per
attachment, ``component/<svc>/<instance>/<name>``: a stack in the instance's environment,
deployed before the instance (whose template reads its outputs) and with the
environment's component role as the stack's CloudFormation service role, never the
deployer's. An attachment is refused, at its line in the service file, when

- the instance's template does not allow components (Proton's
  ``supported_component_sources: [DIRECTLY_DEFINED]`` in ``.template-registration.yaml``);
- the environment has no component role, or one outside its account;
- the component is attached twice to the instance, has the name of one of its bindings
  (templates pass both on as ``<NAME>_<OUTPUT>``), or has no folder (or a broken one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reconciler.desired.catalog import Catalog
from reconciler.desired.rules import at_field, repository_of
from reconciler.desired.units import Unit, component_id, environment_id, named_stack
from reconciler.errors import Problem
from reconciler.specs.model import (
    ComponentAttachment,
    Environment,
    Instance,
    Platform,
    Service,
)
from reconciler.templates.bundle import REGISTRATION
from reconciler.templates.component import component_root
from reconciler.templates.model import DIRECTLY_DEFINED, Bundle


@dataclass(frozen=True)
class ComponentBuild:
    """What the components of one instance are built from."""

    service: Service
    instance: Instance
    at: str  # the instance's field path, e.g. "spec.instances[0]"
    environment: Environment
    template: Bundle  # the instance's service template
    catalog: Catalog
    platform: Platform


def attached_components(build: ComponentBuild, problems: list[Problem]) -> list[Unit]:
    """The units of the instance's components; what is wrong goes to ``problems``."""
    units: list[Unit] = []
    seen: dict[str, ComponentAttachment] = {}
    for index, attachment in enumerate(build.instance.components):
        field_ = f"{build.at}.components[{index}]"
        earlier = seen.get(attachment.name)
        if earlier is not None:
            problems.append(
                at_field(
                    attachment.origin,
                    field_,
                    f"component {attachment.name!r} is attached twice to instance "
                    f"{build.instance.name!r} (first at line {earlier.origin.line}); "
                    "each component is one stack per instance",
                )
            )
            continue
        seen[attachment.name] = attachment
        alias = _same_name(attachment.name, build.instance)
        if alias is not None:
            problems.append(
                at_field(
                    attachment.origin,
                    field_,
                    f"component {attachment.name!r} has the name of the instance's binding "
                    f"{alias!r}: templates pass both on under the same names (an "
                    f"environment variable {_variable(alias)}_…); rename the component",
                )
            )
            continue
        unit = _component(build, attachment, field_, problems)
        if unit is not None:
            units.append(unit)
    return units


def _variable(name: str) -> str:
    return name.upper().replace("-", "_")


def _same_name(name: str, instance: Instance) -> str | None:
    """The binding alias that ``name`` collides with, as names become variables."""
    for binding in instance.bindings:
        if _variable(binding.alias) == _variable(name):
            return binding.alias
    return None


def _component(
    build: ComponentBuild, attachment: ComponentAttachment, field_: str, problems: list[Problem]
) -> Unit | None:
    refusals = _refusals(build, field_, attachment)
    if refusals:
        problems.extend(refusals)
        return None
    service, instance, env = build.service, build.instance, build.environment
    found = build.catalog.component(service.name, attachment.name)
    if isinstance(found, list):
        # A broken folder is reported once, however many instances attach it.
        problems.extend(
            p for p in found or [_missing(build, attachment, field_)] if p not in problems
        )
        return None
    version, bundle = found
    assert env.component_role is not None  # refused above otherwise
    unit_id = component_id(service.name, instance.name, attachment.name)
    name, name_origin = named_stack(unit_id, attachment.stack_name)
    return Unit(
        id=unit_id,
        kind="component",
        target=env.account,
        stack_name=name,
        stack_name_origin=name_origin,
        template=version.name,
        version=version,
        bundle=bundle,
        inputs={},
        origin=attachment.origin,
        depends_on=(environment_id(env.name),),
        environment=env.name,
        service=service.name,
        instance=instance.name,
        team=service.team,
        repository=repository_of(service, build.platform),
        # A component has no versions to roll out: it changes when its folder does.
        updates="manual",
        pinned=True,
        # Developers' components keep their data resources, whatever the platform lists.
        holds_data=True,
        component=attachment.name,
        service_role=env.component_role.arn,
    )


def _refusals(
    build: ComponentBuild, field_: str, attachment: ComponentAttachment
) -> Sequence[Problem]:
    template, env = build.template, build.environment
    if not template.allows_components:
        return [
            at_field(
                attachment.origin,
                field_,
                f"template {template.name} v{template.major} does not allow components: "
                f"its {REGISTRATION} lists no supported_component_sources: "
                f"[{DIRECTLY_DEFINED}]; ask the platform team, or remove the component",
            )
        ]
    role = env.component_role
    if role is None:
        return [
            at_field(
                attachment.origin,
                field_,
                f"environment {env.name!r} refuses components: it has no component role "
                f"(spec.componentRoleArn in {env.origin.file}), and a component never "
                "deploys with the deployer role",
            )
        ]
    if _outside(role.arn, env):
        return [
            at_field(
                attachment.origin,
                field_,
                f"environment {env.name!r} refuses components: its component role "
                f"{role.arn} ({role.origin.file}:{role.origin.line}) is not in its "
                f"account {env.account.id}",
            )
        ]
    return []


def _missing(build: ComponentBuild, attachment: ComponentAttachment, field_: str) -> Problem:
    defined = ", ".join(build.catalog.component_names(build.service.name)) or "none"
    root = component_root(build.service.name, attachment.name)
    return at_field(
        attachment.origin,
        field_,
        f"component {attachment.name!r} does not exist: expected {root}/ with a "
        f"manifest.yaml and its CloudFormation file; components of "
        f"{build.service.name}: {defined}",
    )


def unattached_components(service: Service, catalog: Catalog) -> list[Problem]:
    """A warning for each component folder of ``service`` that no instance attaches."""
    attached = {c.name for i in service.instances for c in i.components}
    return [
        Problem(
            f"{component_root(service.name, name)}/manifest.yaml",
            None,
            "",
            f"component {name!r} of {service.name} is attached to no instance, so it is "
            f"not deployed; attach it with components: [{name}] in {service.origin.file}",
            "warning",
        )
        for name in catalog.component_names(service.name)
        if name not in attached
    ]


def component_role_problems(env: Environment) -> list[Problem]:
    """The environment's component role must be of its own account: CloudFormation passes
    only such a role. Reported once, at the environment; its components are refused."""
    role = env.component_role
    if role is None or not _outside(role.arn, env):
        return []
    return [
        at_field(
            role.origin,
            "spec.componentRoleArn",
            f"the component role {role.arn} is not in the environment's account "
            f"{env.account.id}; CloudFormation passes only a role of the stack's own account",
        )
    ]


def _outside(role_arn: str, env: Environment) -> bool:
    return f":iam::{env.account.id}:role/" not in role_arn
