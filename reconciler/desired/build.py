"""Build the desired state: specs and templates of one snapshot become units.

Every cross-spec rule is checked here, and every problem is collected rather than the
first one raised: the template and version exist; a service template is compatible with
its environment's template major; instance environments and binding targets exist;
bindings have no cycles; the owning team may use the template and the environments;
inputs fit each bundle's schema; stack names are valid and unique per account.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.desired.catalog import Catalog
from reconciler.desired.components import (
    ComponentBuild,
    attached_components,
    component_role_problems,
    unattached_components,
)
from reconciler.desired.graph import order_units
from reconciler.desired.reuse import Built
from reconciler.desired.rules import (
    at_field,
    check_team,
    refused_target,
    repository_of,
    repository_problem,
    resolve_bindings,
    stack_name_problems,
)
from reconciler.desired.units import (
    INFRASTRUCTURE_OF,
    DesiredState,
    InstanceRef,
    Unit,
    UnitKind,
    environment_id,
    instance_id,
    named_stack,
    pipeline_id,
)
from reconciler.errors import Problem
from reconciler.source.snapshot import Snapshot
from reconciler.specs.loader import load_specs
from reconciler.specs.model import Environment, Instance, Origin, Service, Specs, TemplateRef
from reconciler.templates.inputs import check_inputs
from reconciler.templates.model import Bundle, TemplateVersion


@dataclass
class Build:
    """The outcome of one build: the desired state, what is wrong, and what was read."""

    state: DesiredState
    specs: Specs
    catalog: Catalog
    problems: list[Problem] = field(default_factory=list)
    # Unit id → the content key of everything the unit is built from (see reuse.py);
    # only when built with a memo (incremental.py), and absent for units on a binding cycle.
    unit_keys: dict[str, str] = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


def build_desired(snapshot: Snapshot, *, in_use: Mapping[str, str] | None = None) -> Build:
    """The desired state of ``snapshot``.

    ``in_use`` maps unit ids to the version they run now; a unit whose spec names only a
    major stays on that version (the plan decides when it moves). Without it, each unit
    gets its major's newest usable minor. (``incremental.build_reusing`` gives the same
    build, redoing only what changed since an earlier one.)
    """
    used = dict(in_use or {})
    specs, problems = load_specs(snapshot.files)
    catalog = Catalog(snapshot)
    problems += catalog.check_minor_bumps()
    builder = Builder(specs, catalog, used, problems)
    for env in specs.environments.values():
        builder.environment(env)
    for service in specs.services.values():
        builder.service(service)
    order, cycles = order_units(builder.units)
    problems += cycles
    problems += stack_name_problems(builder.units)
    errors = any(p.severity == "error" for p in problems)
    state = DesiredState(
        snapshot.revision,
        builder.units,
        tuple(order),
        builder.denied,
        incomplete=errors or not specs.environments,
        invalid=builder.invalid,
    )
    return Build(state, specs, catalog, problems)


@dataclass
class Builder:
    """Adds the units of environments and services, collecting what is wrong.

    A service's units depend only on the specs, the catalog and the environment units:
    never on other services' units, so services may be built in any order, or alone.
    """

    specs: Specs
    catalog: Catalog
    in_use: dict[str, str]
    problems: list[Problem]
    units: dict[str, Unit] = field(default_factory=dict)
    denied: dict[str, str] = field(default_factory=dict)
    # Units whose own spec has errors: never built, so never applied; the plan blocks them.
    invalid: dict[str, str] = field(default_factory=dict)
    added: list[Unit] = field(default_factory=list)  # by the service being built
    _service_since: int = 0  # where the problems of the service being built start

    def environment(self, env: Environment) -> None:
        since = len(self.problems)
        unit_id = environment_id(env.name)
        chosen = self._version(env.template, unit_id, "environment")
        if chosen is None:
            return
        version, bundle = chosen
        inputs = self._inputs(bundle, "environment", env.inputs, env.origin, "spec.inputs")
        name, name_origin = named_stack(unit_id, env.stack_name)
        unit = Unit(
            id=unit_id,
            kind="environment",
            target=env.account,
            stack_name=name,
            stack_name_origin=name_origin,
            template=version.name,
            version=version,
            bundle=bundle,
            inputs=inputs,
            origin=env.origin,
            environment=env.name,
            updates=env.updates,
            pinned=env.template.minor is not None,
            holds_data=version.name in self.specs.platform.data_templates,
        )
        errors = [str(p) for p in self.problems[since:] if p.severity == "error"]
        refused = self._refused(unit)
        if errors or refused:
            self.invalid[unit_id] = errors[0] if errors else str(refused)
        else:
            self.units[unit_id] = unit
        self.problems += component_role_problems(env)

    def service(self, service: Service) -> Built:
        """Add the units of ``service``; returns what was added, for the memo."""
        problems_before = self._service_since = len(self.problems)
        invalid_before = set(self.invalid)
        self.added = []
        denials = self._check_team(service)
        for index, instance in enumerate(service.instances):
            self._instance(service, instance, index)
        self.problems += unattached_components(service, self.catalog)
        if service.pipeline is not None:
            self._pipeline(service)
        denied = []
        for unit_id, reason in denials:
            if unit_id in self.units and unit_id not in self.denied:
                self.denied[unit_id] = reason
                denied.append((unit_id, reason))
        invalid = [(u, why) for u, why in self.invalid.items() if u not in invalid_before]
        return Built(self.added, self.problems[problems_before:], denied, invalid)

    def _add(self, unit: Unit, since: int, with_units: tuple[Unit, ...] = ()) -> None:
        """Add ``unit`` (after ``with_units``, its components) unless problems were found
        while building it (from ``since`` on), or its target is refused; then none of them
        is added."""
        errors = [str(p) for p in self.problems[since:] if p.severity == "error"]
        refused = self._refused(unit)
        if errors or refused:
            for each in (*with_units, unit):
                self.invalid[each.id] = errors[0] if errors else str(refused)
            return
        for each in (*with_units, unit):
            self.units[each.id] = each
            self.added.append(each)

    def _instance(self, service: Service, instance: Instance, index: int) -> None:
        since = len(self.problems)
        unit_id = instance_id(service.name, instance.name)
        at = f"spec.instances[{index}]"
        origin = instance.origin
        env = self.specs.environments.get(instance.environment)
        if env is None:
            known = ", ".join(sorted(self.specs.environments)) or "none"
            self.problems.append(
                at_field(
                    origin,
                    f"{at}.environment",
                    f"environment {instance.environment!r} does not exist; defined: {known}",
                )
            )
            return
        ref = service.template
        if instance.template_version is not None:
            ref = TemplateRef(ref.name, instance.template_version, origin)
        chosen = self._version(ref, unit_id, "service")
        if chosen is None:
            return
        version, bundle = chosen
        if not self._compatible(bundle, env, origin, at):
            return
        if not self._repository_read(service, bundle, unit_id, "service"):
            return
        bindings = self._bindings(service, instance, at)
        inputs = self._inputs(bundle, "service", instance.inputs, origin, f"{at}.inputs")
        env_unit = environment_id(env.name)
        name, name_origin = named_stack(unit_id, instance.stack_name)
        components = attached_components(
            ComponentBuild(service, instance, at, env, bundle, self.catalog, self.specs.platform),
            self.problems,
        )
        self._add(
            Unit(
                id=unit_id,
                kind="service",
                target=env.account,
                stack_name=name,
                stack_name_origin=name_origin,
                template=version.name,
                version=version,
                bundle=bundle,
                inputs=inputs,
                origin=origin,
                depends_on=(
                    env_unit,
                    *sorted(set(bindings.values())),
                    *(c.id for c in components),
                ),
                environment=env.name,
                service=service.name,
                instance=instance.name,
                team=service.team,
                bindings=bindings,
                components={c.component or "": c.id for c in components},
                repository=repository_of(service, self.specs.platform),
                updates=service.updates,
                pinned=ref.minor is not None,
                holds_data=version.name in self.specs.platform.data_templates,
            ),
            since,
            tuple(components),
        )

    def _pipeline(self, service: Service) -> None:
        since = len(self.problems)
        unit_id = pipeline_id(service.name)
        chosen = self._version(service.template, unit_id, "service")
        assert service.pipeline is not None
        origin = service.pipeline.origin
        if chosen is None:
            return
        version, bundle = chosen
        if not bundle.has_pipeline:
            self.problems.append(
                at_field(
                    origin,
                    "spec.pipeline",
                    f"template {version.name} {version.version} has no "
                    "pipeline_infrastructure; remove spec.pipeline",
                )
            )
            return
        if not self._repository_read(service, bundle, unit_id, "pipeline"):
            return
        instances = tuple(
            InstanceRef(instance_id(service.name, i.name), i.name, i.environment)
            for i in service.instances
            if instance_id(service.name, i.name) in self.units
        )
        inputs = self._inputs(
            bundle, "pipeline", service.pipeline.inputs, origin, "spec.pipeline.inputs"
        )
        target = self.specs.platform.pipeline_account or self._first_instance_account(service)
        if target is None:
            return
        name, name_origin = named_stack(unit_id, service.pipeline.stack_name)
        self._add(
            Unit(
                id=unit_id,
                kind="pipeline",
                target=target,
                stack_name=name,
                stack_name_origin=name_origin,
                template=version.name,
                version=version,
                bundle=bundle,
                inputs=inputs,
                origin=origin,
                depends_on=tuple(i.unit_id for i in instances),
                service=service.name,
                team=service.team,
                instances=instances,
                repository=repository_of(service, self.specs.platform),
                updates=service.updates,
                pinned=service.template.minor is not None,
            ),
            since,
        )

    def _first_instance_account(self, service: Service) -> Any:
        for instance in service.instances:
            env = self.specs.environments.get(instance.environment)
            if env is not None:
                return env.account
        return None

    def _version(
        self, ref: TemplateRef, unit_id: str, kind: str
    ) -> tuple[TemplateVersion, Bundle] | None:
        index = self.catalog.index
        field_ = f"{ref.origin.field}.version" if ref.origin.field else "version"
        if not index.majors(ref.name):
            known = ", ".join(index.names()) or "none"
            self.problems.append(
                at_field(
                    ref.origin,
                    ref.origin.field + ".name",
                    f"template {ref.name!r} does not exist under templates/; defined: {known}",
                )
            )
            return None
        current = self.in_use.get(unit_id)
        wanted = ref.version
        if ref.minor is None and current and current.split(".")[0] == str(ref.major):
            wanted = current
        version = self.catalog.choose(ref.name, wanted)
        if version is None:
            have = (
                ", ".join(v.version for m in index.majors(ref.name) for v in index.of(ref.name, m))
                or "none"
            )
            self.problems.append(
                at_field(
                    ref.origin,
                    field_,
                    f"template {ref.name} has no version {ref.version!r}; versions: {have}",
                )
            )
            return None
        bundle = self.catalog.bundle(version)
        if bundle is None:
            self.problems += self.catalog.problems_of(version)
            return None
        if bundle.kind != kind:
            self.problems.append(
                at_field(
                    ref.origin,
                    ref.origin.field + ".name",
                    f"template {ref.name!r} is an {bundle.kind} template; "
                    f"expected a {kind} template",
                )
            )
            return None
        return version, bundle

    def _compatible(self, bundle: Bundle, env: Environment, origin: Origin, at: str) -> bool:
        env_unit = self.units.get(environment_id(env.name))
        env_major = env_unit.version.major if env_unit else env.template.major
        ok = any(
            c.template == env.template.name and c.major == env_major
            for c in bundle.compatible_environments
        )
        if not ok:
            listed = (
                ", ".join(f"{c.template}:{c.major}" for c in bundle.compatible_environments)
                or "none"
            )
            self.problems.append(
                at_field(
                    origin,
                    f"{at}.environment",
                    f"{bundle.name} v{bundle.major} is not compatible with "
                    f"environment {env.name!r} ({env.template.name}:{env_major}); "
                    f"compatible: {listed}",
                )
            )
        return ok

    def _refused(self, unit: Unit) -> str | None:
        """Why ``unit`` may not be built although its own spec is fine, or None."""
        if self.specs.platform_error is not None:
            return f"not built while goldenpath.yaml is in error: {self.specs.platform_error}"
        return refused_target(unit.target)

    def _repository_read(
        self, service: Service, bundle: Bundle, unit_id: str, kind: UnitKind
    ) -> bool:
        """False (the unit left unbuilt) when its template reads a repository field the
        service and the platform leave unset; the problem is reported once a service."""
        file = bundle.infrastructure[INFRASTRUCTURE_OF[kind]]
        problem = repository_problem(service, self.specs.platform, file, kind)
        if problem is None:
            return True
        if problem not in self.problems[self._service_since :]:
            self.problems.append(problem)
        self.invalid[unit_id] = str(problem)
        return False

    def _bindings(self, service: Service, instance: Instance, at: str) -> dict[str, str]:
        return resolve_bindings(self.specs, instance, at, self.problems)

    def _check_team(self, service: Service) -> list[tuple[str, str]]:
        return check_team(self.specs, service, self.problems)

    def _inputs(
        self, bundle: Bundle, namespace: str, given: Mapping[str, Any], origin: Origin, field_: str
    ) -> dict[str, Any]:
        schema = bundle.input_schemas.get(namespace, {})
        values, found = check_inputs(schema, given, origin=Origin(origin.file, origin.line, field_))
        self.problems += found
        return values
