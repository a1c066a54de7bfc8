"""What AWS says about each resource type, read from cfn-lint's copy of the provider schemas.

cfn-lint (a pinned dependency) ships the CloudFormation registry schemas of every region.
Three facts in them matter to the emulator:

- which resource types exist at all, so an unknown type fails like it does in AWS;
- ``createOnlyProperties``: a change to one of them replaces the resource, which change
  sets report as ``Replacement: True``;
- ``readOnlyProperties``: the attributes ``Fn::GetAtt`` may ask for.

The files are read directly (no ``import cfnlint``, which would cost a second of start-up)
and only when first needed.
"""

from __future__ import annotations

import importlib.util
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

# The region whose schema index is used; every type the emulator cares about exists there.
INDEX_REGION = "us-east-1"
PROPERTIES_PREFIX = "/properties/"


class SchemaUnavailable(RuntimeError):
    """cfn-lint's schema files could not be found (cfn-lint is a required dependency)."""


@lru_cache(maxsize=1)
def _schema_root() -> Path:
    spec = importlib.util.find_spec("cfnlint")
    if spec is None or not spec.submodule_search_locations:
        raise SchemaUnavailable("cfn-lint is not installed; the emulator reads its schemas")
    root = Path(next(iter(spec.submodule_search_locations))) / "data" / "schemas"
    if not (root / "providers" / f"{INDEX_REGION.replace('_', '-')}.json").exists():
        raise SchemaUnavailable(f"cfn-lint schema index missing under {root}")
    return root


@lru_cache(maxsize=1)
def _index() -> dict[str, str]:
    path = _schema_root() / "providers" / f"{INDEX_REGION}.json"
    index: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return index


def known_resource_types() -> frozenset[str]:
    """Every resource type CloudFormation knows in the index region."""
    return frozenset(_index())


@lru_cache(maxsize=512)
def resource_schema(resource_type: str) -> dict[str, Any]:
    """The provider schema of a type ({} for a type the registry does not know)."""
    digest = _index().get(resource_type)
    if digest is None:
        return {}
    path = _schema_root() / "resources" / f"{digest}.json"
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return schema


def _property_paths(resource_type: str, key: str) -> tuple[tuple[str, ...], ...]:
    paths = []
    for pointer in resource_schema(resource_type).get(key, []):
        if pointer.startswith(PROPERTIES_PREFIX):
            paths.append(tuple(pointer[len(PROPERTIES_PREFIX) :].split("/")))
    return tuple(paths)


def create_only_properties(resource_type: str) -> tuple[tuple[str, ...], ...]:
    """Property paths whose change replaces the resource, e.g. ``(("CidrBlock",), ...)``."""
    return _property_paths(resource_type, "createOnlyProperties")


def read_only_attributes(resource_type: str) -> frozenset[str]:
    """``Fn::GetAtt`` names of a type, dotted as templates write them (``Endpoint.Address``)."""
    return frozenset(
        ".".join(path) for path in _property_paths(resource_type, "readOnlyProperties")
    )
