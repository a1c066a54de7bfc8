"""Read one Proton template bundle, unmodified, from its files.

A bundle is a ``v<N>`` folder holding ``schema/schema.yaml``, one infrastructure folder
per stack kind with a ``manifest.yaml`` and the Jinja CloudFormation file it names (or,
with ``template_language: terraform``, the Terraform files it names: terraform.py), and,
for service templates, the compatible environments (``.template-registration.yaml`` or
the legacy ``.compatible-envs``). Everything wrong with a bundle is reported at once,
with the file and field, as for specs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reconciler.errors import Problem, SpecError
from reconciler.specs.yaml import Document, load_documents
from reconciler.templates.model import (
    DIRECTLY_DEFINED,
    RENDERING_ENGINES,
    Bundle,
    CompatibleEnvironment,
    InfrastructureKind,
    TemplateFile,
    TemplateKind,
)
from reconciler.templates.openapi import input_schemas
from reconciler.templates.terraform import terraform_folder

INFRASTRUCTURE: tuple[InfrastructureKind, ...] = (
    "infrastructure",
    "instance_infrastructure",
    "pipeline_infrastructure",
)
REGISTRATION = ".template-registration.yaml"
# What Proton's supported_component_sources may list (only directly defined components).
COMPONENT_SOURCES = (DIRECTLY_DEFINED,)
LEGACY_COMPATIBLE = ".compatible-envs"
_COMPATIBLE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9_-]*):([0-9]+)\s*$")
MAJOR_FOLDER = re.compile(r"^v([0-9]+)$")


def load_bundle(files: Mapping[str, bytes], *, root: str, name: str, major: int) -> Bundle:
    """The bundle whose files (repo-relative path → bytes) sit under ``root``."""
    problems: list[Problem] = []
    prefix = root.rstrip("/") + "/"
    own = {path[len(prefix) :]: data for path, data in files.items() if path.startswith(prefix)}
    schemas = _schemas(own, prefix, problems)
    infrastructure = {
        kind: file
        for kind in INFRASTRUCTURE
        if any(path.startswith(kind + "/") for path in own)
        and (file := template_file(own, prefix, kind, problems)) is not None
    }
    kind: TemplateKind = "environment" if "infrastructure" in infrastructure else "service"
    if not infrastructure:
        problems.append(
            Problem(
                prefix + "infrastructure",
                None,
                "",
                "no infrastructure folder: expected infrastructure/ "
                "(environment template) or instance_infrastructure/ "
                "(service template)",
            )
        )
    elif kind == "environment" and len(infrastructure) > 1:
        problems.append(
            Problem(
                prefix,
                None,
                "",
                "a bundle is an environment template (infrastructure/) or a "
                "service template (instance_infrastructure/), not both",
            )
        )
    wanted = "environment" if kind == "environment" else "service"
    if schemas and wanted not in schemas:
        problems.append(
            Problem(
                prefix + "schema/schema.yaml",
                None,
                f"schema.{wanted}_input_type",
                f"a {kind} template must declare {wanted}_input_type",
            )
        )
    if "pipeline_infrastructure" in infrastructure and schemas and "pipeline" not in schemas:
        problems.append(
            Problem(
                prefix + "schema/schema.yaml",
                None,
                "schema.pipeline_input_type",
                "pipeline_infrastructure/ needs a pipeline_input_type",
            )
        )
    compatible = _compatible(own, prefix, problems) if kind == "service" else ()
    sources = _component_sources(own, prefix, problems) if kind == "service" else ()
    if problems:
        raise SpecError(problems)
    return Bundle(
        name=name,
        major=major,
        kind=kind,
        root=root.rstrip("/"),
        input_schemas=schemas,
        infrastructure=infrastructure,
        compatible_environments=compatible,
        component_sources=sources,
    )


def read_bundle_dir(path: Path, *, name: str | None = None) -> Bundle:
    """A bundle from a ``v<N>`` folder on disk (the Proton corpus, a migration)."""
    match = MAJOR_FOLDER.match(path.name)
    if match is None:
        raise SpecError([Problem(str(path), None, "", "a bundle folder must be named v<N>")])
    root = f"{name or path.parent.name}/{path.name}"
    inside = path.resolve()
    outside = [p for p in path.rglob("*") if p.is_symlink() and not _leads_into(p, inside)]
    if outside:
        raise SpecError(
            Problem(str(p), None, "", "a symbolic link out of the bundle folder; refused, unread")
            for p in outside
        )
    files = {
        f"{root}/{p.relative_to(path).as_posix()}": p.read_bytes()
        for p in path.rglob("*")
        if p.is_file()
    }
    return load_bundle(files, root=root, name=name or path.parent.name, major=int(match[1]))


def _leads_into(link: Path, folder: Path) -> bool:
    return link.resolve().is_relative_to(folder)


def load_yaml(
    own: Mapping[str, bytes], prefix: str, rel: str, problems: list[Problem]
) -> Document | None:
    """The first document of ``rel`` (None, with problems, when missing, empty or bad)."""
    if rel not in own:
        return None
    try:
        docs = load_documents(own[rel], prefix + rel)
    except SpecError as exc:
        problems.extend(exc.problems)
        return None
    if not docs:
        problems.append(Problem(prefix + rel, None, "", "file is empty"))
        return None
    return docs[0]


def _schemas(
    own: Mapping[str, bytes], prefix: str, problems: list[Problem]
) -> dict[str, dict[str, Any]]:
    rel = "schema/schema.yaml"
    if rel not in own:
        problems.append(
            Problem(prefix + rel, None, "", "missing: every bundle needs an input schema")
        )
        return {}
    doc = load_yaml(own, prefix, rel, problems)
    if doc is None:
        return {}
    schemas, found = input_schemas(doc.data, doc.file)
    problems.extend(Problem(p.file, doc.line(p.field), p.field, p.message) for p in found)
    return schemas


def template_file(
    own: Mapping[str, bytes], prefix: str, folder: str, problems: list[Problem]
) -> TemplateFile | None:
    """The Jinja CloudFormation file (or Terraform files) that ``folder``'s manifest names.

    ``own`` maps paths relative to ``prefix`` to bytes; ``folder`` is an infrastructure
    folder of a bundle, or "" for a component's own folder.
    """
    at = f"{folder}/" if folder else ""
    manifest = load_yaml(own, prefix, f"{at}manifest.yaml", problems)
    if manifest is None:
        if f"{at}manifest.yaml" not in own:
            problems.append(Problem(f"{prefix}{at}manifest.yaml", None, "", "missing manifest"))
        return None
    entries = (
        (manifest.data.get("infrastructure") or {}).get("templates")
        if isinstance(manifest.data, Mapping)
        and isinstance(manifest.data.get("infrastructure"), Mapping)
        else None
    )
    if not isinstance(entries, list) or not entries or not isinstance(entries[0], Mapping):
        problems.append(
            manifest.problem(
                "infrastructure.templates",
                "expected infrastructure.templates: a list with one "
                "{file, rendering_engine, template_language}",
            )
        )
        return None
    entry = entries[0]
    field = "infrastructure.templates[0]"
    engine, language = entry.get("rendering_engine"), entry.get("template_language")
    if language != "cloudformation" and language != "terraform":
        problems.append(
            manifest.problem(
                f"{field}.template_language",
                f"template_language {language!r} is not supported; expected one of: "
                f"{', '.join(RENDERING_ENGINES)}",
            )
        )
        return None
    if engine != RENDERING_ENGINES[language]:
        problems.append(
            manifest.problem(
                f"{field}.rendering_engine",
                f"rendering_engine {engine!r} is not supported with template_language "
                f"{language!r}; expected {RENDERING_ENGINES[language]!r}",
            )
        )
        return None
    if language == "terraform":
        return terraform_folder(own, prefix, folder, manifest, entries, problems)
    rel = f"{at}{entry.get('file', '')}"
    if rel not in own:
        where = f"{folder}/" if folder else prefix
        problems.append(
            manifest.problem(
                f"{field}.file", f"names {entry.get('file')!r}, which is not in {where}"
            )
        )
        return None
    try:
        source = own[rel].decode("utf-8")
    except UnicodeDecodeError:
        problems.append(Problem(prefix + rel, None, "", "not UTF-8 text"))
        return None
    return TemplateFile(prefix + rel, source)


def _component_sources(
    own: Mapping[str, bytes], prefix: str, problems: list[Problem]
) -> tuple[str, ...]:
    """Proton's ``supported_component_sources`` of ``.template-registration.yaml``."""
    if REGISTRATION not in own:
        return ()  # the legacy .compatible-envs cannot allow components
    registration = load_yaml(own, prefix, REGISTRATION, [])  # its problems: _compatible's
    data = registration.data if registration is not None else None
    if not isinstance(data, Mapping) or "supported_component_sources" not in data:
        return ()
    listed = data["supported_component_sources"]
    if not isinstance(listed, list) or any(item not in COMPONENT_SOURCES for item in listed):
        assert registration is not None
        problems.append(
            registration.problem(
                "supported_component_sources",
                f"expected a list of {', '.join(COMPONENT_SOURCES)}, got {listed!r}",
            )
        )
        return ()
    return tuple(str(item) for item in listed)


def _compatible(
    own: Mapping[str, bytes], prefix: str, problems: list[Problem]
) -> tuple[CompatibleEnvironment, ...]:
    entries: list[tuple[str, int | None, str]] = []
    registration = load_yaml(own, prefix, REGISTRATION, problems)
    if registration is not None:
        listed = (
            registration.data.get("compatible_environments")
            if isinstance(registration.data, Mapping)
            else None
        )
        if not isinstance(listed, list):
            problems.append(
                registration.problem(
                    "compatible_environments", "expected a list such as [my-env:1]"
                )
            )
        else:
            entries += [
                (registration.file, registration.line(f"compatible_environments[{i}]"), str(item))
                for i, item in enumerate(listed)
            ]
    elif LEGACY_COMPATIBLE in own:
        text = own[LEGACY_COMPATIBLE].decode("utf-8", errors="replace")
        entries += [
            (prefix + LEGACY_COMPATIBLE, n, line)
            for n, line in enumerate(text.splitlines(), 1)
            if line.strip()
        ]
    else:
        problems.append(
            Problem(
                prefix + REGISTRATION,
                None,
                "",
                f"missing: a service template lists its compatible environment "
                f"templates in {REGISTRATION} (or {LEGACY_COMPATIBLE})",
            )
        )
    out = []
    for file, line, text in entries:
        match = _COMPATIBLE.match(text)
        if match is None:
            problems.append(
                Problem(
                    file,
                    line,
                    "compatible_environments",
                    f"{text!r} is not valid; expected <env-template>:<major>",
                )
            )
        else:
            out.append(CompatibleEnvironment(match[1], int(match[2])))
    return tuple(out)
