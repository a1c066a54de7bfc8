"""Proton's own spec files, read back: what a team kept of the inputs it gave Proton.

Proton took its inputs as YAML documents that carry no name of their own: an
``EnvironmentSpec`` (``proton: EnvironmentSpec``, inputs under ``spec``) and a
``ServiceSpec`` (``proton: ServiceSpec``, pipeline inputs under ``pipeline``, and
``instances``, each with ``name``, ``environment`` and inputs under ``spec``). Teams
often still have them (the tutorial's ``specs/``, an application repo's
``.aws-proton/service.yaml``); they are the best source of inputs for an adoption.

Pure: parses text. A file that is not such a spec gets a ``SpecError`` naming the file,
the line and the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.errors import Problem, SpecError
from reconciler.specs.yaml import Document, load_documents


@dataclass(frozen=True)
class ProtonInstanceSpec:
    """One instance of a ServiceSpec: its name, its environment, its inputs."""

    name: str
    environment: str
    inputs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ProtonServiceSpec:
    """A ServiceSpec: pipeline inputs (``None``: no pipeline section) and instances."""

    file: str
    pipeline_inputs: Mapping[str, Any] | None
    instances: tuple[ProtonInstanceSpec, ...]

    def instance(self, name: str) -> ProtonInstanceSpec | None:
        return next((i for i in self.instances if i.name == name), None)


@dataclass(frozen=True)
class ProtonEnvironmentSpec:
    """An EnvironmentSpec: the environment's inputs."""

    file: str
    inputs: Mapping[str, Any]


def parse_environment_spec(text: str | bytes, file: str) -> ProtonEnvironmentSpec:
    """The inputs of a ``proton: EnvironmentSpec`` file."""
    doc = _document(text, file, "EnvironmentSpec")
    inputs = doc.data.get("spec")
    if inputs is None:
        inputs = {}
    if not isinstance(inputs, Mapping):
        raise SpecError([doc.problem("spec", "expected a mapping of input names to values")])
    return ProtonEnvironmentSpec(file, dict(inputs))


def parse_service_spec(text: str | bytes, file: str) -> ProtonServiceSpec:
    """The pipeline inputs and the instances of a ``proton: ServiceSpec`` file."""
    doc = _document(text, file, "ServiceSpec")
    problems: list[Problem] = []
    pipeline = doc.data.get("pipeline")
    if pipeline is not None and not isinstance(pipeline, Mapping):
        problems.append(doc.problem("pipeline", "expected a mapping of pipeline inputs"))
        pipeline = None
    raw = doc.data.get("instances")
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        problems.append(doc.problem("instances", "expected a list of instances"))
        raw = []
    instances: list[ProtonInstanceSpec] = []
    for at, entry in enumerate(raw):
        where = f"instances[{at}]"
        if not isinstance(entry, Mapping):
            problems.append(doc.problem(where, "expected {name, environment, spec}"))
            continue
        name, environment = entry.get("name"), entry.get("environment")
        inputs = entry.get("spec")
        if not isinstance(name, str) or not name:
            problems.append(doc.problem(f"{where}.name", "expected the instance's name"))
        if not isinstance(environment, str) or not environment:
            problems.append(
                doc.problem(f"{where}.environment", "expected the instance's environment")
            )
        if inputs is not None and not isinstance(inputs, Mapping):
            problems.append(doc.problem(f"{where}.spec", "expected a mapping of inputs"))
            inputs = None
        if isinstance(name, str) and name and isinstance(environment, str) and environment:
            instances.append(ProtonInstanceSpec(name, environment, dict(inputs or {})))
    if problems:
        raise SpecError(problems)
    return ProtonServiceSpec(file, None if pipeline is None else dict(pipeline), tuple(instances))


def _document(text: str | bytes, file: str, kind: str) -> Document:
    docs = load_documents(text, file)
    if not docs or not isinstance(docs[0].data, Mapping):
        raise SpecError([Problem(file, None, "", f"expected a Proton {kind} (a YAML mapping)")])
    doc = docs[0]
    found = doc.data.get("proton")
    if found != kind:
        raise SpecError([doc.problem("proton", f"expected 'proton: {kind}', found {found!r}")])
    return doc
