"""Render units in dependency order, with each dependency's outputs as they are known.

Where an output comes from is the caller's choice, an ``OutputSource``:
- recorded outputs of deployed stacks (plan and apply);
- ``PendingOutputs``: a visible "known after apply" placeholder (``render`` with no state);
- outputs synthesized in AWS formats from the dependency's own rendered template
  (``validate``: cfn-lint needs realistic values, RENDERING-NOTES.md).

A Terraform unit is not rendered by Jinja: its files come from ``reconciler.terraform``
and ride on the ``RenderedUnit`` (``terraform``), fingerprinted without the deployment id.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.desired.retention import Retained, check_parses_only, retain_data
from reconciler.desired.units import DesiredState, Unit
from reconciler.errors import RenderError
from reconciler.render import (
    EnvironmentInfo,
    InstanceInfo,
    PendingOutputs,
    Renderer,
    ServiceInfo,
    component_context,
    environment_context,
    pending_values,
    pipeline_context,
    service_instance_context,
    synthesize_outputs,
)
from reconciler.terraform import TFVARS_FILE, TerraformRender, render_terraform

# unit id → its outputs, or None when they are not known.
OutputSource = Callable[[str], Mapping[str, Any] | None]


@dataclass(frozen=True)
class RenderedUnit:
    unit: Unit
    body: str
    pending: tuple[str, ...]  # unit ids whose outputs are still placeholders in the body
    retained: tuple[Retained, ...] = ()  # data resources kept on delete (data templates)
    # A Terraform unit's files (``reconciler.terraform``); ``body`` is then its
    # ``proton.auto.tfvars.json``, for the places that show one text per unit.
    terraform: TerraformRender | None = field(default=None, compare=False)

    @property
    def complete(self) -> bool:
        return not self.pending

    def fingerprint(self) -> str:
        """Hash of what would be deployed: body, parameters (none) and target.

        Made once per rendered unit (a long-running process keeps renders between plans).
        """
        known = self.__dict__.get("_fingerprint")
        if known is not None:
            return str(known)
        made = self._fingerprint()
        object.__setattr__(self, "_fingerprint", made)
        return made

    def _fingerprint(self) -> str:
        if self.terraform is not None:
            return self.terraform.fingerprint()
        target = self.unit.target
        parts: list[Any] = [
            self.body,
            {},
            target.id,
            target.region,
            target.role_arn,
            self.unit.stack_name,
            sorted(self.unit.tags.items()),
        ]
        if self.unit.service_role is not None:
            # Only where there is one, so that other units keep their fingerprints.
            parts.append(self.unit.service_role)
        material = json.dumps(parts, sort_keys=True)
        return hashlib.sha256(material.encode()).hexdigest()


def render_unit(
    unit: Unit,
    state: DesiredState,
    renderer: Renderer,
    outputs: OutputSource,
    *,
    retain: bool = True,
) -> RenderedUnit:
    """The unit's template rendered with the outputs ``outputs`` knows, placeholders else.

    A data template's body gets its keeping policies (``retention``). With ``retain``
    false the body is only checked to parse, as that rewrite would, and left as rendered:
    for checks that never deploy it (``validate`` without lint).
    """
    file = unit.bundle.infrastructure[unit.infrastructure]
    if file.is_terraform:
        files = render_terraform(unit, state, outputs)
        body = files.files[TFVARS_FILE].decode("utf-8")
        return RenderedUnit(unit, body, files.pending, terraform=files)
    context = _context(unit, state, outputs)
    body = renderer.render(file, context)
    pending = tuple(sorted({p.unit_id for p in pending_values(body)}))
    retained: tuple[Retained, ...] = ()
    if unit.holds_data and retain:
        body, retained = retain_data(body, file=file.path)
    elif unit.holds_data:
        check_parses_only(body, file=file.path)
    return RenderedUnit(unit, body, pending, retained)


def pending_source(known: Mapping[str, Mapping[str, Any]]) -> OutputSource:
    """Recorded outputs where a unit has them; a placeholder for every other."""

    def lookup(unit_id: str) -> Mapping[str, Any]:
        return known.get(unit_id) or PendingOutputs(unit_id)

    return lookup


class SynthesizedOutputs:
    """Outputs made up from each unit's rendered template, for linting before deploy."""

    def __init__(self) -> None:
        self.values: dict[str, dict[str, str]] = {}

    def __call__(self, unit_id: str) -> Mapping[str, Any] | None:
        return self.values.get(unit_id)

    def record(self, rendered: RenderedUnit) -> None:
        unit = rendered.unit
        if rendered.terraform is not None:
            # Terraform's outputs are known only once it ran: dependants see placeholders.
            return
        try:
            self.values[unit.id] = synthesize_outputs(
                rendered.body,
                account_id=unit.target.id,
                region=unit.target.region,
                stack_name=unit.stack_name,
                file=unit.bundle.infrastructure[unit.infrastructure].path,
            )
        except RenderError:
            self.values[unit.id] = {}


def _context(unit: Unit, state: DesiredState, outputs: OutputSource) -> dict[str, Any]:
    if unit.kind == "environment":
        return environment_context(
            name=unit.environment or "", account_id=unit.target.id, inputs=unit.inputs
        )
    service = ServiceInfo(
        name=unit.service or "",
        repository_id=unit.repository.get("id"),
        repository_connection_arn=unit.repository.get("connection_arn"),
        branch_name=unit.repository.get("branch"),
    )
    if unit.kind == "service":
        return service_instance_context(
            service=service,
            instance_name=unit.instance or "",
            inputs=unit.inputs,
            environment=_environment(unit.environment or "", state, outputs),
            bindings={alias: _outputs(target, outputs) for alias, target in unit.bindings.items()},
            components={name: _outputs(uid, outputs) for name, uid in unit.components.items()},
        )
    if unit.kind == "component":
        # It sees the instance it is attached to, with the instance's resolved inputs.
        instance = state.units.get(f"service/{unit.service}/{unit.instance}")
        return component_context(
            service=service,
            instance_name=unit.instance or "",
            inputs=instance.inputs if instance is not None else {},
            environment=_environment(unit.environment or "", state, outputs),
            component_name=unit.component or "",
        )
    instances = []
    for ref in unit.instances:
        instance = state.units.get(ref.unit_id)
        instances.append(
            InstanceInfo(
                name=ref.name,
                inputs=instance.inputs if instance else {},
                environment=_environment(ref.environment, state, outputs),
                outputs=_outputs(ref.unit_id, outputs),
            )
        )
    return pipeline_context(service=service, inputs=unit.inputs, instances=instances)


def _environment(name: str, state: DesiredState, outputs: OutputSource) -> EnvironmentInfo:
    unit = state.units.get(f"environment/{name}")
    account = unit.target.id if unit else ""
    return EnvironmentInfo(
        name=name, account_id=account, outputs=_outputs(f"environment/{name}", outputs)
    )


def _outputs(unit_id: str, outputs: OutputSource) -> Mapping[str, Any]:
    found = outputs(unit_id)
    return found if found is not None else PendingOutputs(unit_id)
