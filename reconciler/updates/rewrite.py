"""Move the version fields of a service spec, and nothing else.

The file is read with ruamel.yaml's round-trip loader, which knows where each value was
written; only the characters of each version scalar are replaced, so comments, quoting,
flow or block style, key order and blank lines stay as the team wrote them. The result is
read back and must equal the original with only those fields changed.

A version the rewrite cannot move safely is refused with the file, the field and why:
one set through a YAML anchor, alias, merge key or tag, or a block scalar.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

from reconciler.errors import GoldenpathError

PLAIN_VERSION = re.compile(r"[0-9]+(\.[0-9]+)?(?=\s|,|}|]|#|$)")


class RewriteRefused(GoldenpathError):
    """A service spec whose version fields cannot be moved by a rewrite; say where."""

    def __init__(self, file: str, field: str, reason: str) -> None:
        self.file = file
        self.field = field
        self.reason = reason
        super().__init__(f"{file} {field}: {reason}".strip())


@dataclass(frozen=True)
class VersionEdit:
    """Set the version at ``path`` (in the service's document) to ``to_version``."""

    path: tuple[
        str | int, ...
    ]  # ("spec", "template", "version"), ("spec", "instances", 1, "version")
    to_version: str

    @property
    def field(self) -> str:
        out = ""
        for part in self.path:
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
        return out


def rewrite_versions(file: str, text: bytes, service: str, edits: Sequence[VersionEdit]) -> bytes:
    """``text`` (the spec file ``file``) with the edits made in ``service``'s document."""
    try:
        source = text.decode("utf-8")
        documents = list(YAML(typ="rt").load_all(source))
    except (UnicodeDecodeError, YAMLError) as exc:
        raise RewriteRefused(file, "", f"cannot be read as YAML: {exc}") from exc
    index = _document_of(file, documents, service)
    lines = source.splitlines(keepends=True)
    spans = sorted((_span(file, lines, documents[index], edit), edit) for edit in edits)
    for (line, start, end), edit in reversed(spans):
        token = lines[line][start:end]
        quote = token[0] if token[0] in "'\"" else '"'
        lines[line] = lines[line][:start] + f"{quote}{edit.to_version}{quote}" + lines[line][end:]
    result = "".join(lines)
    _check(file, source, result, index, edits)
    return result.encode("utf-8")


def _document_of(file: str, documents: list[Any], service: str) -> int:
    for i, doc in enumerate(documents):
        metadata = doc.get("metadata") if isinstance(doc, dict) else None
        if isinstance(metadata, dict) and metadata.get("name") == service:
            return i
    raise RewriteRefused(file, "metadata.name", f"no document names service {service!r}")


def _span(file: str, lines: list[str], document: Any, edit: VersionEdit) -> tuple[int, int, int]:
    """(line, start, end) of the version scalar's characters."""
    node = document
    for part in edit.path[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            raise RewriteRefused(file, edit.field, "is not in the file") from None
    key = edit.path[-1]
    where = node.lc.value(key) if isinstance(node, CommentedMap) and key in node else None
    if where is None:
        raise RewriteRefused(
            file, edit.field, "is not written in its own mapping (a YAML merge key sets it)"
        )
    line, column = where
    rest = lines[line][column:]
    if rest[:1] in ("'", '"'):
        close = rest.find(rest[0], 1)
        token = rest[: close + 1] if close > 0 else ""
        ok = bool(token) and "\\" not in token and token[1:-1] == str(node[key])
    else:
        match = PLAIN_VERSION.match(rest)
        token = match.group(0) if match else ""
        ok = bool(token) and token == str(node[key])
    if not ok:
        found = rest.strip().split()[0] if rest.strip() else "nothing"
        what = {"&": "a YAML anchor", "*": "a YAML alias", "!": "a YAML tag"}.get(
            found[:1], "a block scalar" if found[:1] in "|>" else f"{found!r}"
        )
        raise RewriteRefused(
            file,
            edit.field,
            f'is set through {what}; expected a plain or quoted version such as "1.2"',
        )
    return line, column, column + len(token)


def _check(file: str, before: str, after: str, index: int, edits: Sequence[VersionEdit]) -> None:
    """The rewritten file reads as the original with only the edited fields changed."""
    safe = YAML(typ="safe")
    try:
        old = list(safe.load_all(before))
        new = list(safe.load_all(after))
    except YAMLError as exc:
        raise RewriteRefused(file, "", f"the rewrite does not read back: {exc}") from exc
    for edit in edits:
        node = old[index]
        for part in edit.path[:-1]:
            node = node[part]
        node[edit.path[-1]] = edit.to_version
    if old != new:
        fields = ", ".join(e.field for e in edits)
        raise RewriteRefused(file, fields, "a rewrite would change more than the version fields")
