"""Render one Terraform unit into the files Proton wrote for it, as Proton wrote them.

A unit's folder in a provisioning repository holds:
- the bundle folder's files, copied as they are (no Jinja: Proton's ``hcl`` engine), each
  ``.tf`` file after the comment header Proton put on it (the corpus's
  ``my_first_tf_env_2/*.tf`` are the bundle's files with that header, byte for byte);
- ``proton.auto.tfvars.json``: the namespaces and, under ``"//"``, the unit's URN;
- ``proton.<kind>.variables.tf``: their declarations (``environment``,
  ``service_instance``, ``pipeline``, ``component``);
- ``.proton/deployment-metadata.json``: the deployment id, ``isResourceDeleted`` and the
  resource's URN and template version.

The fingerprint covers everything but the deployment id, which is new for every
deployment: a unit whose files would not change is a no-op, and is not written again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.desired.units import DesiredState, Unit
from reconciler.errors import RenderError
from reconciler.terraform._identity import METADATA_FILE, TerraformResource
from reconciler.terraform._json import jackson_json
from reconciler.terraform._namespaces import (
    Namespaces,
    Outputs,
    environment_namespace,
    ordered_inputs,
    service_namespace,
)
from reconciler.terraform._variables import Attribute, Variable, managed_header, variables_file
from reconciler.terraform.hcl import hcl_problems

TFVARS_FILE = "proton.auto.tfvars.json"
VARIABLES_FILE = {
    "environment": "proton.environment.variables.tf",
    "service": "proton.service_instance.variables.tf",
    "pipeline": "proton.pipeline.variables.tf",
    "component": "proton.component.variables.tf",
}
# Bumped when the files written for the same unit change shape: every fingerprint moves.
FILES_FORMAT = 1
_OUTPUTS_OF = "map(object({ outputs = map(string) }))"
_ENVIRONMENT: list[Attribute] = [
    ("account_id", "string"),
    ("name", "string"),
    ("outputs", "map(string)"),
]


@dataclass(frozen=True)
class TerraformRender:
    """A Terraform unit's files, but for the deployment metadata, which needs an id."""

    unit: Unit
    resource: TerraformResource
    files: Mapping[str, bytes]  # path in the unit's folder → bytes
    pending: tuple[str, ...]  # dependencies whose outputs are not known yet

    def with_deployment(self, deployment_id: str) -> dict[str, bytes]:
        """Every file of the unit's folder, ``.proton/deployment-metadata.json`` too."""
        return {**self.files, METADATA_FILE: self.resource.metadata_file(deployment_id)}

    def fingerprint(self) -> str:
        """Hash of what would be written, but the deployment id, and of the target."""
        target = self.unit.target
        parts: list[Any] = [
            FILES_FORMAT,
            sorted((path, hashlib.sha256(data).hexdigest()) for path, data in self.files.items()),
            self.resource.metadata(None),
            target.id,
            target.region,
            target.role_arn,
        ]
        return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def render_terraform(unit: Unit, state: DesiredState, outputs: Outputs) -> TerraformRender:
    """The unit's files, with its dependencies' outputs as ``outputs`` knows them.

    Raises ``RenderError`` (file and line) when a ``.tf`` file does not parse, or when the
    bundle holds a file of a name Goldenpath writes.
    """
    template = unit.bundle.infrastructure[unit.infrastructure]
    if not template.is_terraform:
        raise RenderError(template.path, None, f"{unit.id} is not a Terraform unit")
    problems = hcl_problems(template.path, template.files)
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise RenderError(first.file, first.line, first.message + more)
    resource = resource_of(unit)
    found = Namespaces()
    values, variables = _NAMESPACES[unit.kind](unit, state, outputs, found)
    values["//"] = resource.urn
    written = {
        TFVARS_FILE: jackson_json(values),
        VARIABLES_FILE[unit.kind]: variables_file(unit.id, resource.urn, variables),
    }
    clash = sorted(set(written) & {name for name, _ in template.files})
    if clash or any(name.startswith(".proton/") for name, _ in template.files):
        name = clash[0] if clash else METADATA_FILE
        raise RenderError(
            f"{template.path}/{name}",
            None,
            f"{name} is written by Goldenpath (as Proton wrote it); rename the bundle's file",
        )
    header = managed_header(unit.id, resource.urn)
    files = {name: header + data if name.endswith(".tf") else data for name, data in template.files}
    files.update(written)
    return TerraformRender(unit, resource, files, tuple(sorted(found.pending)))


def resource_of(unit: Unit) -> TerraformResource:
    """The names a unit goes by in its files (its URN, its template's)."""
    component = unit.kind == "component"
    return TerraformResource(
        unit_id=unit.id,
        kind=unit.kind,
        region=unit.target.region,
        account=unit.target.id,
        environment=unit.environment,
        template=None if component else unit.template,
        major=None if component else unit.version.major,
        minor=None if component else unit.version.minor,
    )


_Made = tuple[dict[str, Any], list[Variable]]


def _environment(unit: Unit, state: DesiredState, outputs: Outputs, found: Namespaces) -> _Made:
    inputs = ordered_inputs(unit.bundle.input_schemas.get("environment", {}), unit.inputs)
    values = {"environment": {"name": unit.environment or "", "inputs": inputs}}
    declared = [Variable("environment", [("inputs", "map(string)"), ("name", "string")])]
    return values, declared


def _instance(unit: Unit, state: DesiredState, outputs: Outputs, found: Namespaces) -> _Made:
    values = _instance_namespaces(unit, state, outputs, found, unit.inputs)
    return values, _instance_variables(values)


def _component(unit: Unit, state: DesiredState, outputs: Outputs, found: Namespaces) -> _Made:
    instance = state.units.get(f"service/{unit.service}/{unit.instance}")
    inputs = instance.inputs if instance is not None else {}
    values = _instance_namespaces(unit, state, outputs, found, inputs, attached=False)
    values["component"] = {"name": unit.component or ""}
    declared = _instance_variables(values)
    declared.append(Variable("component", [("name", "string")]))
    return values, declared


def _pipeline(unit: Unit, state: DesiredState, outputs: Outputs, found: Namespaces) -> _Made:
    instances = []
    for ref in unit.instances:
        instance = state.units.get(ref.unit_id)
        schema = instance.bundle.input_schemas.get("service", {}) if instance else {}
        instances.append(
            {
                "name": ref.name,
                "inputs": ordered_inputs(schema, instance.inputs if instance else {}),
                "outputs": found.outputs(ref.unit_id, outputs),
                "environment": _environment_of(ref.environment, state, outputs, found),
            }
        )
    schema = unit.bundle.input_schemas.get("pipeline", {})
    service = service_namespace(unit.service or "", unit.repository)
    values = {
        "pipeline": {"inputs": ordered_inputs(schema, unit.inputs)},
        "service": service,
        "service_instances": instances,
    }
    declared = [
        Variable(
            "service_instances",
            [
                ("name", "string"),
                ("inputs", "map(string)"),
                ("outputs", "map(string)"),
                ("environment", _ENVIRONMENT),
            ],
            default_null=False,
            list_of=True,
        ),
        Variable("service", _service_attributes(service)),
        Variable("pipeline", [("inputs", "map(string)")]),
    ]
    return values, declared


def _instance_namespaces(
    unit: Unit,
    state: DesiredState,
    outputs: Outputs,
    found: Namespaces,
    inputs: Mapping[str, Any],
    attached: bool = True,
) -> dict[str, Any]:
    schema = unit.bundle.input_schemas.get("service", {})
    if unit.kind == "component":
        instance = state.units.get(f"service/{unit.service}/{unit.instance}")
        schema = instance.bundle.input_schemas.get("service", {}) if instance else {}
    service_instance: dict[str, Any] = {
        "name": unit.instance or "",
        "inputs": ordered_inputs(schema, inputs),
    }
    if attached and unit.components:
        service_instance["components"] = {
            name: {"outputs": found.outputs(uid, outputs)}
            for name, uid in sorted(unit.components.items())
        }
    if attached and unit.bindings:
        service_instance["bindings"] = {
            alias: {"outputs": found.outputs(uid, outputs)}
            for alias, uid in sorted(unit.bindings.items())
        }
    return {
        "environment": _environment_of(unit.environment or "", state, outputs, found),
        "service": service_namespace(unit.service or "", unit.repository),
        "service_instance": service_instance,
    }


def _instance_variables(values: Mapping[str, Any]) -> list[Variable]:
    service_instance: list[Attribute] = [("name", "string"), ("inputs", "map(string)")]
    service_instance += [
        (key, _OUTPUTS_OF)
        for key in ("components", "bindings")
        if key in values["service_instance"]
    ]
    return [
        Variable("environment", _ENVIRONMENT),
        Variable("service", _service_attributes(values["service"]), default_null=False),
        Variable("service_instance", service_instance),
    ]


def _service_attributes(service: Mapping[str, Any]) -> list[Attribute]:
    optional = ("branch_name", "repository_connection_arn", "repository_id")
    return [("name", "string"), *((key, "string") for key in optional if key in service)]


def _environment_of(
    name: str, state: DesiredState, outputs: Outputs, found: Namespaces
) -> dict[str, Any]:
    env = state.units.get(f"environment/{name}")
    account = env.target.id if env is not None else ""
    return environment_namespace(name, account, f"environment/{name}", outputs, found)


_NAMESPACES = {
    "environment": _environment,
    "service": _instance,
    "component": _component,
    "pipeline": _pipeline,
}
