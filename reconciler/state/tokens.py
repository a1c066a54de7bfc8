"""API tokens as the store keeps them: an id, a scope, a name, and a hash — never the token.

The token scheme itself (how a token is made, hashed and checked) is
``reconciler.actions.tokens``; this module only stores what it gives: the public id, the
team the token acts for (``None``: the admins), a name people recognise it by, the
hex digest, who made it and when, and when it was revoked. A revoked token stays listed,
so ``goldenpath token list`` shows what existed, and its id is never reused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from reconciler.state import tables
from reconciler.state.rows import as_mapping, reading_row, records, require_utc


@dataclass(frozen=True)
class StoredToken:
    """One token's record. ``digest`` is the hash the scheme compares against."""

    id: str
    team: str | None
    name: str
    digest: str
    created_at: datetime
    created_by: str
    revoked_at: datetime | None = None

    def __post_init__(self) -> None:
        if not self.id or not self.digest:
            raise ValueError("a stored token needs an id and a digest")
        require_utc(self.created_at, f"token {self.id} created_at")
        require_utc(self.revoked_at, f"token {self.id} revoked_at")

    @property
    def scope(self) -> str:
        """``admin``, or ``team:<name>``."""
        return "admin" if self.team is None else f"team:{self.team}"

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def to_json(self) -> dict[str, Any]:
        """What ``goldenpath token list`` shows: everything but the digest."""
        return {
            "id": self.id,
            "scope": self.scope,
            "team": self.team,
            "name": self.name,
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
            "revoked_at": None if self.revoked_at is None else self.revoked_at.isoformat(),
        }

    def to_row(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "team": self.team,
            "name": self.name,
            "digest": self.digest,
            "created_at": self.created_at,
            "created_by": self.created_by,
            "revoked_at": self.revoked_at,
        }

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> StoredToken:
        with reading_row("tokens", row.get("id")):
            return cls(
                id=row["id"],
                team=row["team"],
                name=row["name"],
                digest=row["digest"],
                created_at=row["created_at"],
                created_by=row["created_by"],
                revoked_at=row["revoked_at"],
            )


def add_token(connection: Connection, token: StoredToken) -> None:
    existing = get_token(connection, token.id)
    if existing is not None:
        raise ValueError(f"a token with id {token.id} exists already")
    connection.execute(sa.insert(tables.tokens).values(**token.to_row()))


def get_token(connection: Connection, token_id: str) -> StoredToken | None:
    t = tables.tokens
    row = connection.execute(sa.select(t).where(t.c.id == token_id)).one_or_none()
    return None if row is None else StoredToken.from_row(as_mapping(row))


def all_tokens(connection: Connection) -> list[StoredToken]:
    t = tables.tokens
    return records(StoredToken.from_row, connection.execute(sa.select(t).order_by(t.c.created_at)))


def revoke_token(connection: Connection, token_id: str, now: datetime) -> StoredToken | None:
    """Mark a token revoked (once: a second revoke keeps the first time); None if unknown."""
    t = tables.tokens
    connection.execute(
        sa.update(t).where(t.c.id == token_id, t.c.revoked_at.is_(None)).values(revoked_at=now)
    )
    return get_token(connection, token_id)
