"""Proton's Terraform namespaces for one unit: what ``proton.auto.tfvars.json`` carries.

The shapes and key orders are those of the corpus (``proton-corpus-terraform``): an
environment gets ``environment.{name, inputs}``; a service instance gets
``environment.{account_id, name, outputs}``, ``service.{name}`` and
``service_instance.{name, inputs}``; a pipeline gets ``pipeline.{inputs}``, ``service`` and
``service_instances`` (each with its inputs, outputs and environment). Outputs are sorted
by name, as Proton sorted them; inputs keep the schema's order, as Proton kept it.

Goldenpath's additions appear only where they are used, so a unit without them has
exactly Proton's shape: ``service.{repository_connection_arn, repository_id,
branch_name}`` where the service has a repository, ``service_instance.components`` where
components are attached, ``service_instance.bindings`` where bindings are declared; a
component gets the instance's namespaces and ``component.{name}``.

A dependency whose outputs are not known yet (not deployed) shows one visible placeholder
output, ``"*" : "known-after-apply:<unit>.*"``, and its unit id is returned as pending:
the unit is "known after apply", as in CloudFormation, and such files are never written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.render import PendingOutputs

# unit id → its outputs, or None when they are not known (``desired.rendering.OutputSource``).
Outputs = Callable[[str], Mapping[str, Any] | None]


@dataclass
class Namespaces:
    """Reads dependencies' outputs for one unit's namespaces, noting those still pending."""

    pending: set[str] = field(default_factory=set)

    def outputs(self, unit_id: str, source: Outputs) -> dict[str, Any]:
        found = source(unit_id)
        if found is None or isinstance(found, PendingOutputs):
            self.pending.add(unit_id)
            pending = PendingOutputs(unit_id)
            return {PendingOutputs.WILDCARD: str(pending)}
        return {key: found[key] for key in sorted(found)}


def ordered_inputs(schema: Mapping[str, Any], inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Inputs in the order the schema declares them, then any others as given."""
    declared = schema.get("properties") if isinstance(schema, Mapping) else None
    order = list(declared) if isinstance(declared, Mapping) else []
    out = {name: inputs[name] for name in order if name in inputs}
    out.update((name, value) for name, value in inputs.items() if name not in out)
    return out


def service_namespace(name: str, repository: Mapping[str, str | None]) -> dict[str, Any]:
    """``service``: its name, and the repository fields the service sets."""
    out: dict[str, Any] = {"name": name}
    for key, given in (
        ("repository_connection_arn", repository.get("connection_arn")),
        ("repository_id", repository.get("id")),
        ("branch_name", repository.get("branch")),
    ):
        if given:
            out[key] = given
    return out


def environment_namespace(
    name: str, account_id: str, unit_id: str, source: Outputs, found: Namespaces
) -> dict[str, Any]:
    """``environment`` as instances, components and pipelines see it."""
    return {"account_id": account_id, "name": name, "outputs": found.outputs(unit_id, source)}
