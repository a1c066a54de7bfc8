"""Proton template bundles and their versions, as immutable values.

A bundle is one major version folder, ``templates/<name>/v<N>/``, read unmodified. Its
versions (``N.0``, ``N.1`` …) come from git history, never from the folder itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

# "component": a directly defined component (services/<svc>/components/<name>/), which has
# no template of its own but is read into the same shape.
TemplateKind = Literal["environment", "service", "component"]
# Which stack a template file renders: Proton's folder names, and a component's own file.
InfrastructureKind = Literal[
    "infrastructure", "instance_infrastructure", "pipeline_infrastructure", "component"
]
# Proton's ``supported_component_sources`` value for components defined beside a service.
DIRECTLY_DEFINED = "DIRECTLY_DEFINED"
# A manifest's ``template_language``, and the ``rendering_engine`` each one goes with.
TemplateLanguage = Literal["cloudformation", "terraform"]
RENDERING_ENGINES: Mapping[TemplateLanguage, str] = {"cloudformation": "jinja", "terraform": "hcl"}


@dataclass(frozen=True)
class TemplateFile:
    """What one infrastructure folder of a bundle renders from.

    CloudFormation: one Jinja file; ``path`` is its repo-relative path, ``source`` its text.
    Terraform: the folder's files as they are (never rendered); ``path`` is the folder's
    repo-relative path, ``source`` is empty and ``files`` holds ``(name, bytes)`` pairs, the
    names relative to the folder, sorted (a tuple, so the value stays hashable).
    """

    path: str
    source: str
    language: TemplateLanguage = "cloudformation"
    files: tuple[tuple[str, bytes], ...] = ()

    @property
    def is_terraform(self) -> bool:
        return self.language == "terraform"


@dataclass(frozen=True)
class CompatibleEnvironment:
    """A service template major declares the environment template majors it runs on."""

    template: str
    major: int


@dataclass(frozen=True)
class Bundle:
    """One major version of a template, as its files were at one commit."""

    name: str
    major: int
    kind: TemplateKind
    root: str  # repo-relative folder, e.g. "templates/lb-fargate-svc/v1"
    # JSON Schemas converted from schema/schema.yaml, keyed "environment" | "service" | "pipeline".
    input_schemas: Mapping[str, Mapping[str, Any]]
    infrastructure: Mapping[InfrastructureKind, TemplateFile]
    compatible_environments: tuple[CompatibleEnvironment, ...] = ()
    # Service templates: Proton's supported_component_sources (DIRECTLY_DEFINED allows
    # components); none declared means no components.
    component_sources: tuple[str, ...] = ()

    @property
    def allows_components(self) -> bool:
        return DIRECTLY_DEFINED in self.component_sources

    @property
    def has_pipeline(self) -> bool:
        return "pipeline_infrastructure" in self.infrastructure

    @property
    def is_terraform(self) -> bool:
        """Whether any of the bundle's folders is Terraform (each unit goes by its own)."""
        return any(file.is_terraform for file in self.infrastructure.values())


@dataclass(frozen=True, order=True)
class TemplateVersion:
    """``major.minor`` of a template, and the commit and tree that made it."""

    name: str
    major: int
    minor: int
    commit: str
    tree_id: str
    kind: TemplateKind = "service"

    @property
    def version(self) -> str:
        """``major.minor``; a component, which has no versions, shows its content (the
        first 12 digits of its folder's git tree id)."""
        if self.kind == "component":
            return self.tree_id[:12]
        return f"{self.major}.{self.minor}"
