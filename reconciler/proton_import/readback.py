"""Read a unit's inputs back from its live template, and compare a render with it.

Proton recorded inputs nowhere but in the body it rendered. To get them back, the
template is rendered once with a distinct placeholder for each input; the rendered and the
live document are then walked side by side (both parsed as CloudFormation, intrinsics in
long form), and wherever a placeholder stands, the live value is read. A placeholder may
be a whole value, or part of a larger string (a name prefix, a ``Sub``); then the rest of
the string must match literally and the placeholder's part is read out.

What the walk cannot see (an input used only in ``{% if %}``, one the template never uses,
two places disagreeing) is said per input, never guessed. The caller renders again with
what was read and compares: ``normalised`` dumps both documents the same way, so layout
and quoting do not count, and ``unified_diff`` shows what is left.

Pure: text and data in, data out.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.desired.template_body import load_body
from reconciler.render import Placeholder

# Lowercase letters and digits only: survives quoting, YAML, and Proton's sanitize filters.
_TOKEN = "gpzq{index}in"
_TOKEN_PATTERN = re.compile(r"gpzq(\d+)in")


@dataclass(frozen=True)
class Placeholders:
    """One distinct placeholder per name, in a form no real template value takes."""

    by_name: Mapping[str, Placeholder]

    @classmethod
    def of(cls, names: list[str]) -> Placeholders:
        return cls({name: Placeholder(_TOKEN.format(index=i)) for i, name in enumerate(names)})

    def name_of(self, token: str) -> str | None:
        for name, value in self.by_name.items():
            if value == token:
                return name
        return None


@dataclass(frozen=True)
class Reading:
    """What the live document holds where one placeholder stands, at each place."""

    values: tuple[Any, ...] = ()
    paths: tuple[str, ...] = ()

    def add(self, value: Any, path: str) -> Reading:
        return Reading((*self.values, value), (*self.paths, path))


@dataclass
class Readings:
    """Everything read in one walk, by name, plus the places that did not line up."""

    by_name: dict[str, Reading] = field(default_factory=dict)
    mismatches: list[str] = field(default_factory=list)

    def record(self, name: str, value: Any, path: str) -> None:
        self.by_name[name] = self.by_name.get(name, Reading()).add(value, path)


def read_back(rendered: str, live: str, placeholders: Placeholders) -> Readings:
    """Walk the placeholder render against the live body; the values found per name."""
    readings = Readings()
    _walk(load_body(rendered), load_body(live), "", placeholders, readings)
    return readings


def _walk(rendered: Any, live: Any, path: str, marks: Placeholders, out: Readings) -> None:
    if isinstance(rendered, str):
        if _TOKEN_PATTERN.search(rendered):
            _read_scalar(rendered, live, path, marks, out)
        return
    if isinstance(rendered, dict):
        if not isinstance(live, dict):
            out.mismatches.append(f"{path or '/'}: a mapping in the render, not live")
            return
        spare = [key for key in live if key not in rendered]
        for key, value in rendered.items():
            here = f"{path}.{key}" if path else str(key)
            if key in live:
                _walk(value, live[key], here, marks, out)
            elif isinstance(key, str) and _TOKEN_PATTERN.search(key):
                _read_key(key, value, live, spare, path, marks, out)
            else:
                out.mismatches.append(f"{here}: rendered, not in the live template")
        return
    if isinstance(rendered, list):
        if not isinstance(live, list):
            out.mismatches.append(f"{path}: a list in the render, not live")
            return
        for index, (mine, theirs) in enumerate(zip(rendered, live, strict=False)):
            _walk(mine, theirs, f"{path}[{index}]", marks, out)


def _read_key(
    key: str,
    value: Any,
    live: dict[Any, Any],
    spare: list[Any],
    path: str,
    marks: Placeholders,
    out: Readings,
) -> None:
    pattern, names = _pattern(key, marks)
    for candidate in spare:
        match = pattern.fullmatch(str(candidate))
        if match:
            here = f"{path}.{candidate}" if path else str(candidate)
            for name, part in zip(names, match.groups(), strict=True):
                out.record(name, part, f"{here} (key)")
            spare.remove(candidate)
            _walk(value, live[candidate], here, marks, out)
            return
    out.mismatches.append(f"{path}.{key}: no live key matches")


def _read_scalar(rendered: str, live: Any, path: str, marks: Placeholders, out: Readings) -> None:
    whole = marks.name_of(rendered)
    if whole is not None:
        out.record(whole, live, path)
        return
    if isinstance(live, (dict, list)):
        out.mismatches.append(f"{path}: a string in the render, not live")
        return
    pattern, names = _pattern(rendered, marks)
    match = pattern.fullmatch(_scalar_text(live))
    if match is None:
        out.mismatches.append(f"{path}: live {live!r} does not fit {rendered!r}")
        return
    for name, part in zip(names, match.groups(), strict=True):
        out.record(name, part, path)


def _pattern(text: str, marks: Placeholders) -> tuple[re.Pattern[str], list[str]]:
    names: list[str] = []
    pieces: list[str] = []
    at = 0
    for match in _TOKEN_PATTERN.finditer(text):
        name = marks.name_of(match.group(0))
        if name is None:
            continue
        pieces.append(re.escape(text[at : match.start()]))
        pieces.append("(.*?)")
        names.append(name)
        at = match.end()
    pieces.append(re.escape(text[at:]))
    return re.compile("".join(pieces), re.DOTALL), names


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def coerce(value: Any, schema: Mapping[str, Any]) -> Any:
    """A value read from a body, typed as the input's schema says (``"2"`` → ``2``)."""
    kind = schema.get("type")
    if kind in ("number", "integer") and isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return value
        return int(number) if number.is_integer() else number
    if kind in ("number", "integer") and isinstance(value, float) and value.is_integer():
        return int(value)
    if kind == "boolean" and isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if kind == "string" and isinstance(value, (bool, int, float)):
        return _scalar_text(value)
    return value


def normalised(body: str) -> str:
    """``body`` parsed as CloudFormation and dumped canonically (sorted keys, JSON)."""
    return json.dumps(_string_keys(load_body(body)), indent=1, sort_keys=True, default=str)


def _string_keys(value: Any) -> Any:
    # YAML keys may be numbers or dates; JSON sorts only one type of key.
    if isinstance(value, dict):
        return {str(k): _string_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_string_keys(v) for v in value]
    return value


def unified_diff(rendered: str, live: str, context: int = 3) -> str:
    """The normalised render against the normalised live body; empty when they match."""
    lines = difflib.unified_diff(
        normalised(rendered).splitlines(),
        normalised(live).splitlines(),
        fromfile="rendered",
        tofile="live",
        n=context,
        lineterm="",
    )
    return "\n".join(lines)
