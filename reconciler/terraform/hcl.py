"""The ``.tf`` files of a Terraform folder, parsed with python-hcl2, with file and line.

Proton never looked inside a Terraform bundle; a file that does not parse failed only in
the team's CI, after the pull request to the provisioning repository. Goldenpath parses
every ``.tf`` file when it renders a unit and in ``validate``, so such a file is an error
at its own line, before anything is written anywhere.

The parsed form (python-hcl2's JSON-like dicts: ``{"resource": [{"aws_s3_bucket": {"b":
{...}}}]}``, strings unquoted, ``${...}`` kept as text) is what the guardrails' Rego reads
for Terraform units (``policy_input.py``, docs/guardrails.md).
Parsing is slow (python-hcl2 is pure Python, tens of milliseconds a file), so parses are
kept per process, by content hash (docs/caching.md, ``terraform-hcl``).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from threading import Lock
from typing import Any

import hcl2
from hcl2.utils import SerializationOptions
from lark.exceptions import UnexpectedInput

from reconciler.errors import Problem

# A .tf file larger than this is refused unparsed (a pull request may send anything).
MAX_TF_BYTES = 1024 * 1024
# Parses kept per process: a repo has a few dozen Terraform folders of a few files each.
MAX_PARSED = 512
# The plain JSON shape other HCL-to-JSON tools give: strings without their quotes, blocks
# as lists of objects, no comments or markers, heredocs as plain strings.
_SHAPE = SerializationOptions(
    with_comments=False,
    explicit_blocks=False,
    strip_string_quotes=True,
    preserve_heredocs=False,
)


@dataclass(frozen=True)
class ParsedFile:
    """One ``.tf`` file: its parsed data, or the problem that kept it from parsing."""

    path: str
    data: Mapping[str, Any] | None
    problem: Problem | None


def parse_tf(path: str, data: bytes) -> ParsedFile:
    """Parse one ``.tf`` file; ``path`` (repo-relative) is what a problem names."""
    key = hashlib.sha256(data).hexdigest()
    with _LOCK:
        known = _PARSED.get(key)
        if known is not None:
            _PARSED.move_to_end(key)
    if known is None:
        known = _parse(data)
        with _LOCK:
            _PARSED[key] = known
            while len(_PARSED) > MAX_PARSED:
                _PARSED.popitem(last=False)
    parsed, line, message = known
    problem = Problem(path, line, "", message) if message is not None else None
    return ParsedFile(path, parsed, problem)


def parse_folder(folder: str, files: Iterable[tuple[str, bytes]]) -> list[ParsedFile]:
    """Every ``.tf`` file of a folder (``(name, bytes)`` pairs relative to ``folder``)."""
    return [parse_tf(f"{folder}/{name}", data) for name, data in files if name.endswith(".tf")]


def hcl_problems(folder: str, files: Iterable[tuple[str, bytes]]) -> list[Problem]:
    """What keeps the ``.tf`` files of a folder from parsing, at file and line."""
    return [p.problem for p in parse_folder(folder, files) if p.problem is not None]


_Parse = tuple[Mapping[str, Any] | None, int | None, str | None]
_PARSED: OrderedDict[str, _Parse] = OrderedDict()
_LOCK = Lock()


def _parse(data: bytes) -> _Parse:
    if len(data) > MAX_TF_BYTES:
        return None, None, f"{len(data):,} bytes; a .tf file of at most {MAX_TF_BYTES:,} is read"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, None, f"not UTF-8 text (byte {exc.start}); Terraform reads UTF-8 only"
    try:
        return hcl2.loads(text, serialization_options=_SHAPE), None, None
    except UnexpectedInput as exc:
        return None, exc.line if exc.line > 0 else None, _describe(exc, text)
    except Exception as exc:  # python-hcl2's transformer raises plain errors too
        return None, None, f"does not parse as HCL: {exc}"


def _describe(exc: UnexpectedInput, text: str) -> str:
    lines = text.splitlines()
    line = lines[exc.line - 1].strip() if 0 < exc.line <= len(lines) else ""
    near = f" near {line!r}" if line else ""
    token = getattr(exc, "token", None)
    if token is not None and getattr(token, "type", "") == "$END":
        what = "the file ends inside an unclosed block or string"
    elif token is not None and str(token).strip():
        what = f"unexpected {str(token).strip()!r}"
    else:
        what = "unexpected input"
    return f"does not parse as HCL: {what} at column {exc.column}{near}"
