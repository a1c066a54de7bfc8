"""Proton's ``schema/schema.yaml`` (OpenAPI 3.0 input types) as JSON Schemas.

Proton bundles declare their inputs as OpenAPI 3.0 schema objects under ``schema.types``,
and name the entry types with ``environment_input_type``, ``service_input_type`` and
``pipeline_input_type``. JSON Schema (2020-12) is what the validator speaks, so each
entry type is converted once, with the bundle's other types kept as ``$defs``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.errors import Problem

# schema.yaml key → the input namespace it types.
INPUT_TYPE_KEYS = {
    "environment_input_type": "environment",
    "service_input_type": "service",
    "pipeline_input_type": "pipeline",
}
# OpenAPI-only keywords that JSON Schema does not know; dropped, they do not validate.
_OPENAPI_ONLY = {
    "example",
    "externalDocs",
    "xml",
    "discriminator",
    "deprecated",
    "readOnly",
    "writeOnly",
}


def input_schemas(document: Any, file: str) -> tuple[dict[str, dict[str, Any]], list[Problem]]:
    """JSON Schemas keyed by namespace, and problems with the schema file itself."""
    problems: list[Problem] = []
    if not isinstance(document, Mapping) or not isinstance(document.get("schema"), Mapping):
        return {}, [Problem(file, 1, "schema", "expected a top-level 'schema' mapping")]
    schema = document["schema"]
    types = schema.get("types", {})
    if not isinstance(types, Mapping):
        return {}, [Problem(file, None, "schema.types", "expected a mapping of type names")]
    defs = {str(name): convert(t) for name, t in types.items()}
    out: dict[str, dict[str, Any]] = {}
    for key, namespace in INPUT_TYPE_KEYS.items():
        type_name = schema.get(key)
        if type_name is None:
            continue
        if type_name not in defs:
            known = ", ".join(sorted(defs)) or "none"
            problems.append(
                Problem(
                    file,
                    None,
                    f"schema.{key}",
                    f"type {type_name!r} is not defined in schema.types; defined: {known}",
                )
            )
            continue
        entry = dict(defs[type_name])
        if entry.get("type", "object") != "object":
            problems.append(
                Problem(file, None, f"schema.types.{type_name}", "an input type must be an object")
            )
            continue
        entry["$defs"] = defs
        out[namespace] = entry
    if not out and not problems:
        problems.append(
            Problem(
                file,
                None,
                "schema",
                "no input type: expected environment_input_type or service_input_type",
            )
        )
    return out, problems


def convert(node: Any) -> Any:
    """One OpenAPI 3.0 schema object → JSON Schema 2020-12."""
    if isinstance(node, list):
        return [convert(item) for item in node]
    if not isinstance(node, Mapping):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _OPENAPI_ONLY or str(key).startswith("x-"):
            continue
        if key == "$ref" and isinstance(value, str) and value.startswith("#/types/"):
            out["$ref"] = "#/$defs/" + value.removeprefix("#/types/")
        elif key in ("properties", "patternProperties", "$defs"):
            out[key] = {name: convert(sub) for name, sub in value.items()}
        elif key == "nullable":
            continue
        elif key in ("exclusiveMinimum", "exclusiveMaximum") and isinstance(value, bool):
            continue  # folded into minimum/maximum below
        else:
            out[key] = convert(value)
    if node.get("nullable") is True and "type" in out:
        out["type"] = [out["type"], "null"]
    for flag, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if node.get(flag) is True and bound in out:
            out[flag] = out.pop(bound)
    return out
