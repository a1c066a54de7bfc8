"""Inputs for a template, checked against its bundle's schema, with defaults applied.

Proton's rendering depends on exact input values (RENDERING-NOTES.md): whole numbers
stay integers, and an input without a default that was not given stays absent rather
than becoming null or "". An input the schema does not know is reported as a warning
with the closest known name: a migration from Proton should neither fail on it nor pass
it silently (Proton's own samples misspell one).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from reconciler.errors import Problem, SpecError
from reconciler.specs.model import Origin
from reconciler.specs.problems import problems_of, validator_for

Locate = Callable[[str], int | None]


def resolve_inputs(
    schema: Mapping[str, Any],
    given: Mapping[str, Any],
    *,
    origin: Origin,
    locate: Locate | None = None,
) -> dict[str, Any]:
    """The inputs with defaults applied; ``SpecError`` listing every invalid input."""
    values, problems = check_inputs(schema, given, origin=origin, locate=locate)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise SpecError(errors)
    return values


def check_inputs(
    schema: Mapping[str, Any],
    given: Mapping[str, Any],
    *,
    origin: Origin,
    locate: Locate | None = None,
) -> tuple[dict[str, Any], list[Problem]]:
    """The inputs with defaults applied, and every problem (errors and warnings)."""
    where = locate or (lambda _path: origin.line)
    values = with_defaults(schema, whole_numbers(dict(given)))
    problems = problems_of(
        _validator_of(schema), values, file=origin.file, locate=where, prefix=origin.field
    )
    problems.extend(_unknown(schema, given, origin, where))
    return values, problems


def with_defaults(schema: Mapping[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """Fill in schema defaults, recursing into given nested objects."""
    properties = schema.get("properties", {})
    for name, sub in properties.items():
        if not isinstance(sub, Mapping):
            continue
        if name not in values and "default" in sub:
            values[name] = whole_numbers(sub["default"])
        elif isinstance(values.get(name), dict) and "properties" in sub:
            values[name] = with_defaults(sub, dict(values[name]))
    return values


def whole_numbers(value: Any) -> Any:
    """2.0 → 2, everywhere: Proton renders whole numbers as integers."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: whole_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [whole_numbers(v) for v in value]
    return value


def _unknown(
    schema: Mapping[str, Any], given: Mapping[str, Any], origin: Origin, locate: Locate
) -> list[Problem]:
    known = list(schema.get("properties", {}))
    if schema.get("additionalProperties") is False:
        return []  # the validator already reports these as errors
    problems = []
    for name in given:
        if name in known:
            continue
        field = f"{origin.field}.{name}" if origin.field else name
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        problems.append(
            Problem(
                origin.file,
                locate(field),
                field,
                f"unknown input {name!r} is ignored by the template{hint}",
                severity="warning",
            )
        )
    return problems


class _Frozen:
    """A schema as a hashable key, so one validator is built per distinct schema."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        self.schema = schema
        self.key = repr(schema)

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Frozen) and other.key == self.key


@lru_cache(maxsize=512)
def _validator(frozen: _Frozen) -> Any:
    return validator_for(frozen.schema)


# The schema objects seen last, by identity: a bundle's schema is one object for every
# unit that uses it, so most lookups skip hashing the schema's text. The schema is kept
# with its validator, so an id is never reused while its entry lives.
_BY_IDENTITY: dict[int, tuple[Mapping[str, Any], Any]] = {}
_MAX_BY_IDENTITY = 512


def _validator_of(schema: Mapping[str, Any]) -> Any:
    known = _BY_IDENTITY.get(id(schema))
    if known is not None and known[0] is schema:
        return known[1]
    validator = _validator(_Frozen(schema))
    if len(_BY_IDENTITY) >= _MAX_BY_IDENTITY:
        _BY_IDENTITY.clear()
    _BY_IDENTITY[id(schema)] = (schema, validator)
    return validator
