"""JSON Schema validation that reports every error as a ``Problem`` a person can act on.

jsonschema's own messages say what was found; users need to know what was expected and
where. This module turns each error into file, line, dotted field and an "expected …"
sentence, using the schema's own ``description`` where it has one. It is shared by the
spec kinds and by the Proton bundles' input schemas.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource

from reconciler.errors import Problem

# Where in the document an error is: its dotted path and line.
Locate = Callable[[str], int | None]


def validator_for(schema: Mapping[str, Any], shared: Iterable[Mapping[str, Any]] = ()) -> Any:
    """A validator for ``schema`` that resolves ``$ref``s into the ``shared`` schemas.

    References are inlined once, here: following a ``$ref`` through the registry on every
    validation costs more than the rest of the check (thousands of specs per run).
    """
    documents: dict[str, Mapping[str, Any]] = {}
    registry: Registry[Any] = Registry()
    for other in shared:
        # Specs reference their siblings relatively, by file name.
        for name in (str(other["$id"]), str(other["$id"]).rsplit("/", 1)[-1]):
            documents[name] = other
            registry = registry.with_resource(name, Resource.from_contents(dict(other)))
    inlined = _inline(schema, schema, documents, depth=0)
    return Draft202012Validator(inlined, registry=registry)


# References nested deeper than this are left to the registry (a recursive schema).
_MAX_INLINE_DEPTH = 32


def _inline(
    node: Any, document: Mapping[str, Any], documents: Mapping[str, Mapping[str, Any]], depth: int
) -> Any:
    if isinstance(node, list):
        return [_inline(item, document, documents, depth) for item in node]
    if not isinstance(node, Mapping):
        return node
    ref = node.get("$ref")
    target = _target(ref, document, documents) if isinstance(ref, str) else None
    if target is None or depth >= _MAX_INLINE_DEPTH:
        return {k: _inline(v, document, documents, depth) for k, v in node.items()}
    resolved_in, resolved = target
    body = _inline(resolved, resolved_in, documents, depth + 1)
    siblings = {k: _inline(v, document, documents, depth) for k, v in node.items() if k != "$ref"}
    if not siblings:
        return body
    # A $ref beside other keywords applies both, as allOf does.
    return {**siblings, "allOf": [*siblings.get("allOf", []), body]}


def _target(
    ref: str, document: Mapping[str, Any], documents: Mapping[str, Mapping[str, Any]]
) -> tuple[Mapping[str, Any], Any] | None:
    name, _, pointer = ref.partition("#")
    base = document if not name else documents.get(name)
    if base is None or (pointer and not pointer.startswith("/")):
        return None
    found: Any = base
    for part in pointer.split("/")[1:] if pointer else []:
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(found, Mapping) or part not in found:
            return None
        found = found[part]
    return base, found


def dotted(path: Sequence[str | int], prefix: str = "") -> str:
    out = prefix
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out = f"{out}.{part}" if out else str(part)
    return out


def problems_of(
    validator: Any, data: Any, *, file: str, locate: Locate, prefix: str = ""
) -> list[Problem]:
    """Every schema error in ``data``, most specific first, as Problems."""
    problems = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path))):
        field, message = explain(error, prefix)
        problems.append(Problem(file, locate(field), field, message))
    return _unique(problems)


def explain(error: ValidationError, prefix: str = "") -> tuple[str, str]:
    """The dotted field and an "expected …" message for one jsonschema error."""
    field = dotted(list(error.absolute_path), prefix)
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    description = schema.get("description")
    value = error.instance
    kind = error.validator
    if kind == "required":
        missing = str(error.message).split("'")[1] if "'" in error.message else error.message
        child = f"{field}.{missing}" if field else missing
        sub = schema.get("properties", {}).get(missing, {})
        hint = (
            f" ({sub['description']})" if isinstance(sub, Mapping) and "description" in sub else ""
        )
        return child, f"missing required field '{missing}'{hint}"
    if kind == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        extra = sorted(set(value) - set(allowed)) if isinstance(value, Mapping) else []
        names = ", ".join(repr(e) for e in extra)
        expected = f"; expected one of: {', '.join(allowed)}" if allowed else ""
        child = f"{field}.{extra[0]}" if field and len(extra) == 1 else field
        # A field the schema refuses on purpose says why (``x-refused``: field → reason).
        refused = schema.get("x-refused", {})
        why = [f"{e!r}: {refused[e]}" for e in extra if e in refused]
        if why:
            return child, f"refused field {'; '.join(why)}"
        return child, f"unknown field {names}{expected}"
    if kind == "const":
        return field, f"expected {error.validator_value!r}, got {value!r}"
    if kind == "enum":
        choices = ", ".join(repr(c) for c in list(error.validator_value))  # type: ignore[arg-type]
        return field, f"{value!r} is not allowed; expected one of: {choices}"
    if kind == "type":
        got = f"expected {_article(error.validator_value)}, got {_type_name(value)} {value!r}"
        return field, f"{got} ({description})" if description else got
    if kind in ("anyOf", "oneOf"):
        reasons = _branch_reasons(error)
        return field, reasons or f"{value!r} does not match any allowed form"
    if kind == "pattern":
        what = description or f"text matching {error.validator_value!r}"
        return field, f"{value!r} is not valid; expected {what}"
    if kind == "uniqueItems" and isinstance(value, list):
        return _repeated_item(field, value, description)
    if kind == "propertyNames":
        return field, f"invalid name: {error.message}"
    if description:
        return field, f"{error.message}; expected {description}"
    return field, str(error.message)


def _repeated_item(field: str, items: list[Any], description: Any) -> tuple[str, str]:
    """The second of two equal items: its own field, and where the first one is."""
    for later, item in enumerate(items):
        for earlier in range(later):
            if items[earlier] == item:
                what = f" ({description})" if description else ""
                return (
                    f"{field}[{later}]",
                    f"{item!r} appears twice (also {field}[{earlier}]); expected each "
                    f"item once{what}",
                )
    return field, "has repeated items"


def _branch_reasons(error: ValidationError) -> str:
    """Say which rule failed: the description of each failing branch, or its message."""
    seen: list[str] = []
    for sub in error.context or ():
        schema = sub.schema if isinstance(sub.schema, Mapping) else {}
        parent = _branch_schema(error, sub)
        text = parent.get("description") or schema.get("description")
        if not text:
            text = explain(sub)[1]
        if text not in seen:
            seen.append(str(text))
    return "; or ".join(seen)


def _branch_schema(error: ValidationError, sub: ValidationError) -> Mapping[str, Any]:
    branches = error.validator_value
    index = sub.relative_schema_path[0] if sub.relative_schema_path else None
    if isinstance(branches, list) and isinstance(index, int) and index < len(branches):
        branch = branches[index]
        return branch if isinstance(branch, Mapping) else {}
    return {}


def _article(expected: Any) -> str:
    if isinstance(expected, list):
        return " or ".join(_article(e) for e in expected)
    return {
        "object": "a mapping",
        "array": "a list",
        "string": "a string",
        "integer": "an integer",
        "number": "a number",
        "boolean": "true or false",
        "null": "null",
    }.get(str(expected), str(expected))


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, dict):
        return "mapping"
    if isinstance(value, list):
        return "list"
    if value is None:
        return "null"
    return {int: "integer", float: "number", str: "string"}.get(type(value), type(value).__name__)


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: set[Problem] = set()
    out = []
    for problem in problems:
        if problem not in seen:
            seen.add(problem)
            out.append(problem)
    return out
