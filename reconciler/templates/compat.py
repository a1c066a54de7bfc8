"""Is a minor version's input schema backward compatible with the one before it?

A minor version must accept every spec its predecessor accepted: no new required input
without a default, no removed input, no input of another type, no enum value dropped.
Anything else is a new major version. Each break names the input.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def breaking_changes(
    old: Mapping[str, Mapping[str, Any]], new: Mapping[str, Mapping[str, Any]]
) -> list[str]:
    """Sentences, one per break, comparing two bundles' schemas by namespace."""
    breaks: list[str] = []
    for namespace, before in old.items():
        after = new.get(namespace)
        if after is None:
            breaks.append(f"{namespace} inputs were removed ({namespace}_input_type)")
            continue
        breaks += [f"{namespace} input {b}" for b in _object_breaks(before, after, "")]
    for namespace, after in new.items():
        if namespace not in old:
            breaks += [
                f"{namespace} input {name!r} is new and required without a default"
                for name in _required_without_default(after)
            ]
    return breaks


def _object_breaks(before: Mapping[str, Any], after: Mapping[str, Any], path: str) -> list[str]:
    out: list[str] = []
    old_props = before.get("properties", {})
    new_props = after.get("properties", {})
    for name, old_sub in old_props.items():
        label = f"{path}{name}"
        if name not in new_props:
            out.append(f"{label!r} was removed")
            continue
        out += _property_breaks(old_sub, new_props[name], label)
    was_required = set(before.get("required", ()))
    for name in _required_without_default(after):
        if name in was_required:
            continue
        label = f"{path}{name}"
        if name in old_props:
            out.append(f"{label!r} became required without a default")
        else:
            out.append(f"{label!r} is new and required without a default")
    return out


def _property_breaks(old: Any, new: Any, label: str) -> list[str]:
    if not isinstance(old, Mapping) or not isinstance(new, Mapping):
        return []
    if not _types(old) <= _types(new):
        return [
            f"{label!r} changed type from {'/'.join(sorted(_types(old)))} "
            f"to {'/'.join(sorted(_types(new)))}"
        ]
    out = []
    if "enum" in new:
        dropped = [v for v in old.get("enum", []) if v not in new["enum"]]
        if "enum" not in old:
            out.append(f"{label!r} now only accepts {new['enum']}")
        elif dropped:
            out.append(f"{label!r} no longer accepts {', '.join(map(repr, dropped))}")
    if old.get("type") == "object" or "properties" in old:
        out += _object_breaks(old, new, f"{label}.")
    return out


def _types(schema: Mapping[str, Any]) -> set[str]:
    declared = schema.get("type")
    if declared is None:
        return {"any"}
    kinds = {str(t) for t in (declared if isinstance(declared, list) else [declared])}
    # An integer is a number: widening integer to number keeps old specs valid.
    return kinds | ({"number"} if "integer" in kinds else set())


def _required_without_default(schema: Mapping[str, Any]) -> list[str]:
    props = schema.get("properties", {})
    return [
        name
        for name in schema.get("required", ())
        if not (isinstance(props.get(name), Mapping) and "default" in props[name])
    ]
