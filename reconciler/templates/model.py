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


@dataclass(frozen=True)
class TemplateFile:
    """One Jinja CloudFormation file of a bundle, with its repo-relative path."""

    path: str
    source: str


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
