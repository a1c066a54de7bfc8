"""JSON written the way Proton wrote it: Jackson's default pretty printer.

Proton's files in a provisioning repository (``proton.auto.tfvars.json``,
``.proton/deployment-metadata.json``) are Jackson output: two-space indents, ``" : "``
between a key and its value, arrays on one line (``[ {`` … ``} ]``), empty containers as
``{ }`` and ``[ ]``, non-ASCII text as it is, and no newline at the end. Workflows diff and
``jq`` these files, and reviewers read them in pull requests, so they keep that shape
byte for byte. Key order is the caller's: Proton's is not sorted.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

_INDENT = "  "
# Jackson's short escapes; every other control character is written as \\u00XX.
_SHORT = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def jackson_json(value: Any) -> bytes:
    """``value`` as Jackson's default pretty printer writes it, UTF-8, no final newline."""
    return _write(value, 0).encode("utf-8")


def _write(value: Any, depth: int) -> str:
    if isinstance(value, Mapping):
        if not value:
            return "{ }"
        inner = _INDENT * (depth + 1)
        items = [f"{inner}{_string(str(k))} : {_write(v, depth + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + _INDENT * depth + "}"
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        if not value:
            return "[ ]"
        return "[ " + ", ".join(_write(v, depth) for v in value) + " ]"
    if isinstance(value, str):
        return _string(value)
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} has no JSON form")
        return repr(value)
    raise TypeError(f"a value of type {type(value).__name__} has no JSON form")


def _string(text: str) -> str:
    out = []
    for char in text:
        if char in _SHORT:
            out.append(_SHORT[char])
        elif char < " ":
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'
