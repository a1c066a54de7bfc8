"""The vocabulary every forge dialect of the receiver shares.

A delivery ends in exactly one verdict. The dialect modules (``github``, ``gitlab``) raise
:class:`Refused` with the HTTP status and a reason a forge admin can act on, or return an
:class:`Ignored` for events that need no work; the route in ``receiver`` turns both into
answers. Shape checks go through :func:`text` and friends so every 400 names the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from reconciler.events import ForgeEvent

NO_COMMIT = "0" * 40
"""The commit id forges send for "no commit": before a new branch, after a deleted one."""


class Refused(Exception):
    """The delivery is refused; ``status`` is the HTTP answer and ``reason`` says why."""

    def __init__(self, status: int, reason: str) -> None:
        self.status = status
        self.reason = reason
        super().__init__(f"{status}: {reason}")


@dataclass(frozen=True)
class Ignored:
    """A genuine delivery that needs no work: acknowledged so the forge does not retry."""

    reason: str


class Dialect(Protocol):
    """How one forge signs, names and shapes its deliveries."""

    forge: str  # "github" | "gitlab": the route segment and the events' ``forge``

    def repo_of(self, document: object) -> str | None:
        """The repository a (not yet trusted) payload claims to be about, to pick a secret."""
        ...

    def verify(self, headers: Mapping[str, str], body: bytes, secret: str) -> None:
        """Raise ``Refused(401, …)`` unless the delivery proves it knows ``secret``."""
        ...

    def delivery_id(self, headers: Mapping[str, str]) -> str:
        """The forge's id for this delivery, stable across redeliveries."""
        ...

    def parse(
        self, headers: Mapping[str, str], document: object, delivery_id: str, branch: str
    ) -> ForgeEvent | Ignored:
        """Turn a verified payload into a domain event; ``branch`` is the tracked branch."""
        ...


def header(headers: Mapping[str, str], name: str) -> str:
    """A header the forge always sends; a missing one makes the delivery malformed."""
    value = headers.get(name.lower(), "").strip()
    if not value:
        raise Refused(400, f"missing {name} header")
    return value


def _walk(document: object, path: str) -> object:
    node = document
    walked: list[str] = []
    for key in path.split("."):
        if not isinstance(node, dict):
            where = ".".join(walked) or "payload"
            raise Refused(400, f"field {where}: expected an object holding {key!r}")
        walked.append(key)
        if key not in node:
            raise Refused(400, f"field {'.'.join(walked)}: missing")
        node = node[key]
    return node


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__


def text(document: object, path: str) -> str:
    """The string at dotted ``path``; 400 naming the field if absent or not a string."""
    value = _walk(document, path)
    if not isinstance(value, str):
        raise Refused(400, f"field {path}: expected a string, got {_kind(value)}")
    return value


def optional_text(document: object, path: str) -> str:
    """The string at ``path``, or "" when it is absent or null (forges omit these freely)."""
    try:
        value = _walk(document, path)
    except Refused:
        return ""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Refused(400, f"field {path}: expected a string, got {_kind(value)}")
    return value


def integer(document: object, path: str) -> int:
    """The integer at ``path``; booleans are not integers here."""
    value = _walk(document, path)
    if not isinstance(value, int) or isinstance(value, bool):
        raise Refused(400, f"field {path}: expected an integer, got {_kind(value)}")
    return value


def flag(document: object, path: str) -> bool:
    """The boolean at ``path``; absent or null reads as False."""
    try:
        value = _walk(document, path)
    except Refused:
        return False
    if value is None:
        return False
    if not isinstance(value, bool):
        raise Refused(400, f"field {path}: expected true or false, got {_kind(value)}")
    return value


def commit_id(document: object, path: str) -> str:
    """A full 40-hex commit id at ``path``."""
    value = text(document, path)
    if len(value) != len(NO_COMMIT) or any(c not in "0123456789abcdef" for c in value.lower()):
        raise Refused(400, f"field {path}: expected a 40-character hex commit id, got {value!r}")
    return value


def branch_of(ref: str) -> str | None:
    """``refs/heads/x`` → ``x``; None for tags and other refs."""
    prefix = "refs/heads/"
    return ref[len(prefix) :] if ref.startswith(prefix) else None
