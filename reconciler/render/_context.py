"""Proton's template namespaces, built from plain data, and prepared for the sandbox.

The builders assemble the variables a template sees, for each kind of template, as AWS
Proton lays them out (DESIGN.md "Rendering", RENDERING-NOTES quirk 8). ``template_data``
then turns whatever context a caller passes into plain data the sandbox can expose safely,
and applies the rendering quirks that concern values rather than syntax:

* whole floats become ints, so ``80.0`` renders as ``80`` (quirk 2);
* inputs that were not given stay absent, so ``is defined`` works (quirk 3);
* ``service_instance.components.<name>`` and its ``.outputs`` read as ``{}`` when no such
  component is attached (quirk 4).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.render._pending import PendingOutputs, Placeholder


@dataclass(frozen=True)
class ServiceInfo:
    """``service.*``. Repository fields are absent in templates when not set."""

    name: str
    repository_id: str | None = None
    repository_connection_arn: str | None = None
    branch_name: str | None = None


@dataclass(frozen=True)
class EnvironmentInfo:
    """An environment as service templates see it; ``outputs`` may be ``PendingOutputs``."""

    name: str
    account_id: str
    outputs: Mapping[str, Any]


@dataclass(frozen=True)
class InstanceInfo:
    """A service instance as its pipeline sees it: ``outputs`` are its own stack's outputs."""

    name: str
    inputs: Mapping[str, Any]
    environment: EnvironmentInfo
    outputs: Mapping[str, Any]


def environment_context(
    *,
    name: str,
    account_id: str,
    inputs: Mapping[str, Any],
    outputs: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Variables of an environment template: ``environment.{name, account_id, inputs}``."""
    environment: dict[str, Any] = {"name": name, "account_id": account_id, "inputs": inputs}
    if outputs is not None:
        environment["outputs"] = outputs
    return {"environment": environment}


def service_instance_context(
    *,
    service: ServiceInfo,
    instance_name: str,
    inputs: Mapping[str, Any],
    environment: EnvironmentInfo,
    bindings: Mapping[str, Mapping[str, Any]] | None = None,
    components: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Variables of a service instance template.

    ``bindings`` maps an alias to the outputs of the bound service's instance;
    ``components`` maps a component name to its outputs.
    """
    return {
        "service": _service(service),
        "service_instance": {
            "name": instance_name,
            "inputs": inputs,
            "environment": _environment(environment),
            "components": {name: {"outputs": out} for name, out in (components or {}).items()},
            "bindings": {alias: {"outputs": out} for alias, out in (bindings or {}).items()},
        },
        "environment": _environment(environment),
    }


def component_context(
    *,
    service: ServiceInfo,
    instance_name: str,
    inputs: Mapping[str, Any],
    environment: EnvironmentInfo,
    component_name: str,
) -> dict[str, Any]:
    """Variables of a directly defined component, as Proton gave them: the instance it is
    attached to (``service_instance``, without components), its ``environment`` and
    ``service``, and ``component.name``."""
    return {
        "service": _service(service),
        "service_instance": {
            "name": instance_name,
            "inputs": inputs,
            "environment": _environment(environment),
        },
        "environment": _environment(environment),
        "component": {"name": component_name},
    }


def pipeline_context(
    *, service: ServiceInfo, inputs: Mapping[str, Any], instances: Sequence[InstanceInfo]
) -> dict[str, Any]:
    """Variables of a pipeline template: ``service``, ``pipeline``, ``service_instances``."""
    return {
        "service": _service(service),
        "pipeline": {"inputs": inputs},
        "service_instances": [
            {
                "name": instance.name,
                "inputs": instance.inputs,
                "environment": _environment(instance.environment),
                "outputs": instance.outputs,
            }
            for instance in instances
        ],
    }


def _service(service: ServiceInfo) -> dict[str, Any]:
    fields = {
        "name": service.name,
        "repository_id": service.repository_id,
        "repository_connection_arn": service.repository_connection_arn,
        "branch_name": service.branch_name,
    }
    return {key: value for key, value in fields.items() if value is not None}


def _environment(environment: EnvironmentInfo) -> dict[str, Any]:
    return {
        "name": environment.name,
        "account_id": environment.account_id,
        "outputs": environment.outputs,
    }


class TracedDict(dict[str, Any]):
    """A dict that knows its dotted path in the context, for error messages."""

    __slots__ = ("_path",)

    def __init__(self, values: Mapping[str, Any], path: str) -> None:
        super().__init__(values)
        self._path = path


class AbsentComponent(TracedDict):
    """A component that is not attached: empty, yet its ``outputs`` read as ``{}`` too."""

    __slots__ = ()

    def __missing__(self, key: str) -> Any:
        if key == "outputs":
            return TracedDict({}, f"{self._path}.outputs")
        raise KeyError(key)


class Components(Mapping[str, Any]):
    """``service_instance.components``: a component that is not attached reads as ``{}``.

    Only attached components are listed (iteration, ``length``, ``in``); looking up any
    other name gives an empty component whose ``outputs`` are empty too (quirk 4).
    """

    __slots__ = ("_attached", "_path")

    def __init__(self, attached: Mapping[str, Any], path: str) -> None:
        self._attached = dict(attached)
        self._path = path

    def __getitem__(self, name: str) -> Any:
        if name in self._attached:
            return self._attached[name]
        return AbsentComponent({}, f"{self._path}.{name}")

    def __iter__(self) -> Iterator[str]:
        return iter(self._attached)

    def __len__(self) -> int:
        return len(self._attached)

    def __contains__(self, name: object) -> bool:
        return name in self._attached

    def __repr__(self) -> str:
        return f"Components({self._attached!r})"


def template_data(context: Mapping[str, Any], *, max_depth: int) -> dict[str, Any]:
    """``context`` as plain data for the sandbox, with Proton's value quirks applied.

    Raises ``ValueError`` when the context nests deeper than ``max_depth`` (a recursive
    YAML alias, say), since rendering could never finish walking it.
    """
    data: dict[str, Any] = {key: _plain(value, max_depth) for key, value in context.items()}
    instance = data.get("service_instance")
    if isinstance(instance, dict):
        attached = instance.get("components") or {}
        instance["components"] = Components(
            {name: _with_outputs(component) for name, component in attached.items()},
            "service_instance.components",
        )
    return data


def _with_outputs(component: Any) -> Any:
    if isinstance(component, dict) and "outputs" not in component:
        return {**component, "outputs": {}}
    return component


def _plain(value: Any, depth: int) -> Any:
    if depth <= 0:
        raise ValueError("the template context nests too deeply (a recursive YAML alias?)")
    if value is None or isinstance(value, bool | PendingOutputs | Placeholder):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return int(value) if value.is_integer() else float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, Mapping):
        return {key: _plain(item, depth - 1) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item, depth - 1) for item in value]
    return value
