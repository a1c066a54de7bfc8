"""The update pull request offered to each service, and how it ended.

One row per service: the offer made last (``reconciler.updates``). Its ``state`` says
whether the change request is open, was merged, or was closed without merging; a closed
offer keeps its ``targets`` (unit id → version), so a later pass offers the service
again only for a version newer than one the team turned down.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from reconciler.state import tables
from reconciler.state.rows import (
    as_mapping,
    dump_json,
    frozen_mapping,
    reading_row,
    records,
    require_choice,
    require_utc,
)

OfferState = Literal["open", "closed", "merged"]
OFFER_STATES: tuple[str, ...] = ("open", "closed", "merged")


@dataclass(frozen=True)
class UpdateOffer:
    """An update pull request as Goldenpath last knew it."""

    service: str
    template: str
    targets: Mapping[str, str]  # unit id → the version the offer moves it to
    branch: str
    number: int | None
    url: str
    state: OfferState
    digest: str  # of the spec file, title and body last written
    offered_at: datetime
    updated_at: datetime

    def __post_init__(self) -> None:
        require_choice(self.state, OFFER_STATES, f"update offer of {self.service} state")
        require_utc(self.offered_at, f"update offer of {self.service} offered_at")
        require_utc(self.updated_at, f"update offer of {self.service} updated_at")
        object.__setattr__(self, "targets", frozen_mapping(self.targets))

    def ended(self, state: OfferState, now: datetime) -> UpdateOffer:
        return replace(self, state=state, updated_at=now)

    def to_json(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "template": self.template,
            "targets": dict(self.targets),
            "branch": self.branch,
            "number": self.number,
            "url": self.url,
            "state": self.state,
            "offered_at": self.offered_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }

    def to_row(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "template": self.template,
            "targets": dump_json(self.targets),
            "branch": self.branch,
            "number": self.number,
            "url": self.url,
            "state": self.state,
            "digest": self.digest,
            "offered_at": self.offered_at,
            "updated_at": self.updated_at,
        }

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> UpdateOffer:
        with reading_row("update_offers", row.get("service")):
            targets = json.loads(row["targets"])
            if not isinstance(targets, dict):
                raise ValueError("targets must be a JSON object")
            return cls(
                service=row["service"],
                template=row["template"],
                targets={str(k): str(v) for k, v in targets.items()},
                branch=row["branch"],
                number=row["number"],
                url=row["url"],
                state=row["state"],
                digest=row["digest"],
                offered_at=row["offered_at"],
                updated_at=row["updated_at"],
            )


def save_offer(connection: Connection, offer: UpdateOffer) -> None:
    t = tables.update_offers
    connection.execute(sa.delete(t).where(t.c.service == offer.service))
    connection.execute(sa.insert(t).values(**offer.to_row()))


def get_offer(connection: Connection, service: str) -> UpdateOffer | None:
    t = tables.update_offers
    row = connection.execute(sa.select(t).where(t.c.service == service)).one_or_none()
    return None if row is None else UpdateOffer.from_row(as_mapping(row))


def all_offers(connection: Connection) -> list[UpdateOffer]:
    t = tables.update_offers
    return records(UpdateOffer.from_row, connection.execute(sa.select(t).order_by(t.c.service)))


def end_offer(
    connection: Connection, branch: str, number: int, state: OfferState, now: datetime
) -> UpdateOffer | None:
    """Mark the open offer of change request ``number`` from ``branch`` as ended; None
    when no open offer has that number (a change request of someone else's)."""
    t = tables.update_offers
    row = connection.execute(
        sa.select(t).where(t.c.branch == branch, t.c.number == number, t.c.state == "open")
    ).one_or_none()
    if row is None:
        return None
    offer = UpdateOffer.from_row(as_mapping(row)).ended(state, now)
    save_offer(connection, offer)
    return offer
