"""Find the template version and the inputs whose render is the live body of one unit.

The version is recorded nowhere in a Proton stack, so every candidate version of the
unit's template is tried. The inputs come from the team's Proton spec file when there is
one; otherwise they are read back from the live body (``readback``). The render with the
chosen inputs is compared with the live body: "matches exactly" or a diff. The first
candidate that matches wins; if none does, the one with the smallest diff is reported,
with its diff, so the team can fix inputs until it matches.

Pure: bundles, inputs, outputs and bodies in, a ``Recovery`` out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from reconciler.desired.template_body import BodyError
from reconciler.errors import RenderError
from reconciler.proton_import.readback import (
    Placeholders,
    Readings,
    coerce,
    read_back,
    unified_diff,
)
from reconciler.proton_import.rendering import inputs_with_defaults
from reconciler.templates.model import Bundle

InputSource = Literal["spec", "live"]
# Extra names a render may carry placeholders for besides the inputs (service.* fields).
Extras = Mapping[str, Any]
Render = Callable[[Bundle, Mapping[str, Any], Extras], str]


@dataclass(frozen=True)
class Candidate:
    """One version of the unit's template: ``"1.0"`` and its bundle."""

    version: str
    bundle: Bundle


@dataclass(frozen=True)
class Recovery:
    """What one unit was: version, inputs, what is unknown, and how close the render is."""

    version: str | None
    bundle: Bundle | None
    inputs: Mapping[str, Any]  # what the final render used, defaults applied
    given: Mapping[str, Any]  # what a spec must write: values that differ from defaults
    source: InputSource
    unrecovered: tuple[str, ...] = ()
    extras: Mapping[str, Any] = field(default_factory=dict)
    rendered: str | None = None
    diff: str = ""
    error: str | None = None

    @property
    def matches(self) -> bool:
        return self.error is None and self.rendered is not None and not self.diff


def recover(
    candidates: Sequence[Candidate],
    which: str,
    render: Render,
    live: str,
    *,
    spec_inputs: Mapping[str, Any] | None,
    extras: Sequence[str] = (),
    known_extras: Extras | None = None,
) -> Recovery:
    """The best candidate for a unit whose schema section is ``which``.

    ``extras`` names values besides inputs that are read back too (the service's
    repository fields, for a pipeline) unless ``known_extras`` gives them.
    """
    if not candidates:
        return Recovery(None, None, {}, {}, "live", error="no version of its template is given")
    best: Recovery | None = None
    for candidate in candidates:
        found = _try(candidate, which, render, live, spec_inputs, extras, known_extras)
        if found.matches:
            return found
        if best is None or _worse(best, found):
            best = found
    assert best is not None
    return best


def _worse(current: Recovery, other: Recovery) -> bool:
    if current.error is not None:
        return other.error is None
    if other.error is not None:
        return False
    return len(other.diff) < len(current.diff)


def _try(
    candidate: Candidate,
    which: str,
    render: Render,
    live: str,
    spec_inputs: Mapping[str, Any] | None,
    extras: Sequence[str],
    known_extras: Extras | None,
) -> Recovery:
    schema = candidate.bundle.input_schemas.get(which, {})
    unknown: list[str] = []
    extra_values: dict[str, Any] = dict(known_extras or {})
    source: InputSource = "spec" if spec_inputs is not None else "live"
    if spec_inputs is not None and (known_extras is not None or not extras):
        chosen = dict(spec_inputs)
    else:
        try:
            readings = _read(
                candidate.bundle, schema, render, live, spec_inputs, extras, known_extras
            )
        except (RenderError, BodyError) as exc:
            return _failed(candidate, source, f"cannot read the live template back: {exc}")
        read_inputs, unknown = _pick(readings, schema, [] if spec_inputs is not None else None)
        chosen = dict(spec_inputs) if spec_inputs is not None else read_inputs
        if known_extras is None:
            for name in extras:
                value, problem = _one(readings, name, {})
                if problem:
                    unknown.append(f"{name}: {problem}")
                else:
                    extra_values[name] = value
    try:
        rendered = render(candidate.bundle, chosen, extra_values)
        diff = unified_diff(rendered, live)
    except (RenderError, BodyError) as exc:
        return _failed(candidate, source, f"render failed: {exc}", unknown)
    full = inputs_with_defaults(candidate.bundle, which, chosen)
    return Recovery(
        version=candidate.version,
        bundle=candidate.bundle,
        inputs=full,
        given=_not_default(schema, chosen),
        source=source,
        unrecovered=tuple(unknown),
        extras=extra_values,
        rendered=rendered,
        diff=diff,
    )


def _failed(
    candidate: Candidate, source: InputSource, message: str, unknown: Sequence[str] = ()
) -> Recovery:
    return Recovery(
        candidate.version, candidate.bundle, {}, {}, source, tuple(unknown), error=message
    )


def _read(
    bundle: Bundle,
    schema: Mapping[str, Any],
    render: Render,
    live: str,
    spec_inputs: Mapping[str, Any] | None,
    extras: Sequence[str],
    known_extras: Extras | None,
) -> Readings:
    """Render with placeholders (falling back to strings only) and walk against ``live``."""
    properties: Mapping[str, Any] = schema.get("properties", {})
    names = list(properties) if spec_inputs is None else []
    extra_names = list(extras) if known_extras is None else []
    marks = Placeholders.of([*names, *extra_names])
    tries = [names, [n for n in names if properties[n].get("type", "string") == "string"]]
    error: RenderError | None = None
    for marked in tries:
        inputs: dict[str, Any] = dict(spec_inputs or {})
        inputs.update({n: marks.by_name[n] for n in marked})
        extra = dict(known_extras or {})
        extra.update({n: marks.by_name[n] for n in extra_names})
        try:
            rendered = render(bundle, inputs, extra)
        except RenderError as exc:
            error = exc
            continue
        return read_back(rendered, live, marks)
    assert error is not None
    raise error


def _pick(
    readings: Readings, schema: Mapping[str, Any], only: list[str] | None
) -> tuple[dict[str, Any], list[str]]:
    properties: Mapping[str, Any] = schema.get("properties", {})
    names = list(properties) if only is None else only
    chosen: dict[str, Any] = {}
    unknown: list[str] = []
    for name in names:
        value, problem = _one(readings, name, properties.get(name, {}))
        if problem is None:
            chosen[name] = value
            continue
        default = properties.get(name, {}).get("default")
        if default is not None:
            unknown.append(f"{name}: {problem}; its default {default!r} is assumed")
        else:
            unknown.append(f"{name}: {problem}")
    return chosen, unknown


def _one(readings: Readings, name: str, schema: Mapping[str, Any]) -> tuple[Any, str | None]:
    reading = readings.by_name.get(name)
    if reading is None or not reading.values:
        return None, "not recovered: the live template shows it nowhere the render does"
    values = [coerce(v, schema) for v in reading.values]
    distinct = {repr(v) for v in values}
    if len(distinct) > 1:
        seen = ", ".join(f"{v!r} at {p}" for v, p in zip(values, reading.paths, strict=True))
        return None, f"not recovered: the live template disagrees with itself ({seen})"
    return values[0], None


def _not_default(schema: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    properties: Mapping[str, Any] = schema.get("properties", {})
    kept: dict[str, Any] = {}
    for name, value in given.items():
        spec = properties.get(name, {})
        if "default" in spec and inputs_equal(spec["default"], value):
            continue
        kept[name] = value
    return kept


def inputs_equal(a: Any, b: Any) -> bool:
    """Equal as Proton renders them: ``80`` and ``80.0`` are one value."""
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return float(a) == float(b)
    return bool(a == b)
