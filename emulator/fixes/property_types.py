"""Fix ``property-types``: property values reach moto's models as the template wrote them.

CloudFormation converts each property value to the type the resource's schema declares,
so ``DesiredCount: '2'`` (the Proton templates quote every Jinja value:
``'{{service_instance.inputs.desired_count}}'``) is the integer 2. moto 5.2.5 passes the
string on, and its models fail on it (ECS ``DesiredCount``: ``TypeError: unsupported
operand type(s) for -: 'str' and 'int'``).

The patch converts strings to integers, numbers and booleans where the provider schema
(from cfn-lint, see ``emulator.resource_schemas``) says so, after intrinsic functions are
resolved and before moto's model sees the properties.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from emulator.fixes import fix_enabled

NAME = "property-types"
_INTEGER = re.compile(r"-?\d+")
_NUMBER = re.compile(r"-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
# Deeply nested schemas exist (WAF rules); stop there rather than walk forever.
MAX_DEPTH = 32


def _resolve(node: Mapping[str, Any], definitions: Mapping[str, Any]) -> Mapping[str, Any]:
    reference = node.get("$ref")
    if isinstance(reference, str) and reference.startswith("#/definitions/"):
        resolved: Mapping[str, Any] = definitions.get(reference.rsplit("/", 1)[-1], {})
        return resolved
    return node


def _scalar(value: str, types: list[str]) -> Any:
    if "string" in types:
        return value
    if "integer" in types and _INTEGER.fullmatch(value):
        return int(value)
    if "number" in types and _NUMBER.fullmatch(value):
        number = float(value)
        return int(number) if number.is_integer() and "." not in value else number
    if "boolean" in types and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def coerce(
    value: Any, node: Mapping[str, Any], definitions: Mapping[str, Any], depth: int = 0
) -> Any:
    """A value converted to the types a schema node declares (strings only are converted)."""
    if depth > MAX_DEPTH:
        return value
    node = _resolve(node, definitions)
    declared = node.get("type")
    types = [declared] if isinstance(declared, str) else list(declared or [])
    if isinstance(value, str):
        return _scalar(value, types) if types else value
    if isinstance(value, dict):
        properties = node.get("properties") or {}
        return {
            key: coerce(item, properties[key], definitions, depth + 1)
            if key in properties
            else item
            for key, item in value.items()
        }
    if isinstance(value, list) and isinstance(node.get("items"), Mapping):
        return [coerce(item, node["items"], definitions, depth + 1) for item in value]
    return value


def coerce_properties(resource_type: str, properties: Mapping[str, Any]) -> dict[str, Any]:
    """A resource's properties with values converted as CloudFormation converts them."""
    from emulator.resource_schemas import resource_schema

    schema = resource_schema(resource_type)
    if not schema:
        return dict(properties)
    return dict(coerce(dict(properties), schema, schema.get("definitions") or {}))


def install() -> None:
    from moto.cloudformation import parsing

    stock_parse = parsing.parse_resource

    def parse_resource(resource_json: dict[str, Any], resources_map: Any) -> Any:
        parsed = stock_parse(resource_json, resources_map)
        if parsed is None or not fix_enabled(NAME):
            return parsed
        resource_class, cleaned, resource_type = parsed
        properties = cleaned.get("Properties")
        if isinstance(properties, dict):
            cleaned = {**cleaned, "Properties": coerce_properties(resource_type, properties)}
        return resource_class, cleaned, resource_type

    parsing.parse_resource = parse_resource
