"""Recover a whole Proton estate, in Proton's order: environments, instances, pipelines.

Each unit renders as Proton rendered it, with what its dependencies had live: an
instance sees its environment's live outputs (and account), a pipeline sees its
instances (their recovered inputs and live outputs). A pipeline lists its instances in
an order Proton kept and the stacks do not; the order that makes the pipeline's render
match is searched (up to ``MAX_ORDERS`` orders), and the service spec lists its
instances in that order, as Goldenpath renders them in spec order.

Pure: found stacks, their bodies, bundles and Proton spec files in; results out.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler.proton_import.proton_specs import ProtonEnvironmentSpec, ProtonServiceSpec
from reconciler.proton_import.recovery import Candidate, Extras, Recovery, recover
from reconciler.proton_import.rendering import render_environment, render_instance, render_pipeline
from reconciler.proton_import.tags import Estate, FoundStack
from reconciler.render import EnvironmentInfo, InstanceInfo, Renderer, ServiceInfo
from reconciler.templates.model import Bundle

# Orders of a pipeline's instances tried before giving up (5 instances: all 120).
MAX_ORDERS = 120
REPOSITORY_FIELDS = ("repository_id", "repository_connection_arn", "branch_name")


@dataclass(frozen=True)
class Sources:
    """What the team still has: template versions by name, and Proton spec files."""

    templates: Mapping[str, Sequence[Candidate]]
    environment_specs: Mapping[str, ProtonEnvironmentSpec] = field(default_factory=dict)
    service_specs: Mapping[str, ProtonServiceSpec] = field(default_factory=dict)


@dataclass(frozen=True)
class UnitResult:
    """One unit: its stack, what was recovered, and notes for the team."""

    unit_id: str
    stack: FoundStack
    recovery: Recovery
    notes: tuple[str, ...] = ()

    @property
    def matches(self) -> bool:
        return self.recovery.matches


@dataclass(frozen=True)
class ServiceResult:
    """A service: its instances (in pipeline order), its pipeline, its repository."""

    name: str
    template: str
    instances: tuple[UnitResult, ...]
    pipeline: UnitResult | None
    repository: Mapping[str, str]


@dataclass(frozen=True)
class Takeover:
    environments: tuple[UnitResult, ...]
    services: tuple[ServiceResult, ...]

    def units(self) -> list[UnitResult]:
        found = list(self.environments)
        for service in self.services:
            found.extend(service.instances)
            if service.pipeline is not None:
                found.append(service.pipeline)
        return found


Bodies = Mapping[str, str]  # stack id → live template body


def recover_estate(
    estate: Estate, bodies: Bodies, sources: Sources, renderer: Renderer
) -> Takeover:
    environments = tuple(
        _environment(name, stack, bodies, sources, renderer)
        for name, stack in sorted(estate.environments.items())
    )
    services = tuple(_service(name, estate, bodies, sources, renderer) for name in estate.services)
    return Takeover(environments, services)


def _candidates(sources: Sources, template: str | None) -> Sequence[Candidate]:
    return sources.templates.get(template or "", ())


def _environment(
    name: str, stack: FoundStack, bodies: Bodies, sources: Sources, renderer: Renderer
) -> UnitResult:
    spec = sources.environment_specs.get(name)

    def render(bundle: Bundle, inputs: Mapping[str, Any], _extras: Extras) -> str:
        return render_environment(
            renderer, bundle, name=name, account_id=stack.account, inputs=inputs
        )

    recovery = recover(
        _candidates(sources, stack.unit.template),
        "environment",
        render,
        bodies[stack.stack_id],
        spec_inputs=spec.inputs if spec else None,
    )
    return UnitResult(f"environment/{name}", stack, recovery, _template_note(stack, sources))


def _service(
    name: str, estate: Estate, bodies: Bodies, sources: Sources, renderer: Renderer
) -> ServiceResult:
    spec = sources.service_specs.get(name)
    found = estate.instances.get(name, {})
    order = _spec_order(spec, found)
    results = [
        _instance(name, found[instance], estate, bodies, spec, sources, renderer)
        for instance in order
    ]
    pipeline_stack = estate.pipelines.get(name)
    pipeline = None
    repository: dict[str, str] = {}
    if pipeline_stack is not None:
        pipeline, results = _pipeline(
            name, pipeline_stack, results, estate, bodies, spec, sources, renderer
        )
        repository = {k: str(v) for k, v in pipeline.recovery.extras.items() if isinstance(v, str)}
    template = next(
        (r.stack.unit.template for r in results if r.stack.unit.template),
        pipeline_stack.unit.template if pipeline_stack else None,
    )
    return ServiceResult(name, template or "", tuple(results), pipeline, repository)


def _spec_order(spec: ProtonServiceSpec | None, found: Mapping[str, FoundStack]) -> list[str]:
    listed = [i.name for i in spec.instances if i.name in found] if spec else []
    return listed + sorted(set(found) - set(listed))


def _instance(
    service: str,
    stack: FoundStack,
    estate: Estate,
    bodies: Bodies,
    spec: ProtonServiceSpec | None,
    sources: Sources,
    renderer: Renderer,
) -> UnitResult:
    unit = stack.unit
    unit_id = unit.id
    notes = list(_template_note(stack, sources))
    given = spec.instance(str(unit.instance)) if spec else None
    if spec is not None and given is None:
        notes.append(f"not in {spec.file}: its inputs are read from the live template")
    env_stack = estate.environments.get(str(unit.environment))
    if env_stack is None:
        failed = Recovery(
            None,
            None,
            {},
            {},
            "live",
            error=f"its environment {unit.environment} was not found in the scanned accounts",
        )
        return UnitResult(unit_id, stack, failed, tuple(notes))
    environment = _environment_info(env_stack)
    info = ServiceInfo(name=service)

    def render(bundle: Bundle, inputs: Mapping[str, Any], _extras: Extras) -> str:
        return render_instance(
            renderer,
            bundle,
            service=info,
            instance=str(unit.instance),
            inputs=inputs,
            environment=environment,
        )

    recovery = recover(
        _candidates(sources, unit.template),
        "service",
        render,
        bodies[stack.stack_id],
        spec_inputs=given.inputs if given else None,
    )
    return UnitResult(unit_id, stack, recovery, tuple(notes))


def _environment_info(stack: FoundStack) -> EnvironmentInfo:
    return EnvironmentInfo(
        name=str(stack.unit.environment), account_id=stack.account, outputs=dict(stack.outputs)
    )


def _pipeline(
    service: str,
    stack: FoundStack,
    instances: list[UnitResult],
    estate: Estate,
    bodies: Bodies,
    spec: ProtonServiceSpec | None,
    sources: Sources,
    renderer: Renderer,
) -> tuple[UnitResult, list[UnitResult]]:
    notes = list(_template_note(stack, sources))
    spec_inputs = spec.pipeline_inputs if spec else None
    if spec is not None and spec_inputs is None:
        notes.append(f"{spec.file} has no pipeline section: inputs read from the live template")
    best: tuple[Recovery, list[UnitResult]] | None = None
    for ordered in itertools.islice(itertools.permutations(instances), MAX_ORDERS):
        order = list(ordered)
        infos = [_instance_info(r, estate) for r in order]

        def render(
            bundle: Bundle, inputs: Mapping[str, Any], extras: Extras, infos: Any = infos
        ) -> str:
            fields = {k: str(v) for k, v in extras.items()}
            info = ServiceInfo(
                name=service,
                repository_id=fields.get("repository_id"),
                repository_connection_arn=fields.get("repository_connection_arn"),
                branch_name=fields.get("branch_name"),
            )
            return render_pipeline(renderer, bundle, service=info, inputs=inputs, instances=infos)

        recovery = recover(
            _candidates(sources, stack.unit.template),
            "pipeline",
            render,
            bodies[stack.stack_id],
            spec_inputs=spec_inputs,
            extras=REPOSITORY_FIELDS,
        )
        if best is None or (recovery.matches and not best[0].matches):
            best = (recovery, order)
        if recovery.matches:
            break
    assert best is not None  # permutations of no instances is one empty order
    recovery, chosen = best
    if [r.unit_id for r in chosen] != [r.unit_id for r in instances] and recovery.matches:
        notes.append("instances listed in the order the live pipeline has them")
    return UnitResult(f"pipeline/{service}", stack, recovery, tuple(notes)), chosen


def _instance_info(result: UnitResult, estate: Estate) -> InstanceInfo:
    unit = result.stack.unit
    env_stack = estate.environments.get(str(unit.environment))
    environment = (
        _environment_info(env_stack)
        if env_stack is not None
        else EnvironmentInfo(
            name=str(unit.environment), account_id=result.stack.account, outputs={}
        )
    )
    return InstanceInfo(
        name=str(unit.instance),
        inputs=dict(result.recovery.inputs),
        environment=environment,
        outputs=dict(result.stack.outputs),
    )


def _template_note(stack: FoundStack, sources: Sources) -> tuple[str, ...]:
    if stack.unit.template and stack.unit.template not in sources.templates:
        return (
            f"template {stack.unit.template} is not in --templates "
            f"(given: {', '.join(sorted(sources.templates)) or 'none'})",
        )
    return ()
