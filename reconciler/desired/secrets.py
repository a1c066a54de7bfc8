"""Secret inputs: values a bundle's schema marks as secret never show in what we keep or
print (a blast radius's diff, the body kept for the unit page)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from reconciler.desired.units import Unit

MASK = "********"


def secret_values(unit: Unit) -> set[str]:
    """Values of inputs the bundle's schema marks as secret (OpenAPI ``format: password``)."""
    namespace = {"environment": "environment", "service": "service"}.get(unit.kind, "pipeline")
    properties = unit.bundle.input_schemas.get(namespace, {}).get("properties", {})
    return {
        str(unit.inputs[name])
        for name, schema in properties.items()
        if isinstance(schema, Mapping)
        and schema.get("format") == "password"
        and name in unit.inputs
        and str(unit.inputs[name])
    }


def masked(text: str, secrets: Iterable[str]) -> str:
    """``text`` with each secret value replaced by ``MASK``, the longest first (so a
    secret holding another is masked whole)."""
    for secret in sorted(set(secrets), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def masked_body(unit: Unit, body: str) -> str:
    """The rendered body of ``unit`` as it may be kept and shown: secret inputs masked."""
    return masked(body, secret_values(unit))
