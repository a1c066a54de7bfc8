"""Who may change what: the operator at the command line, or a token's team or the admins.

- The **command line** acts with the state store's and the cloud's own credentials:
  whoever can run it with them is an operator, and may act on any unit. The history
  records the name given with ``--as`` (or ``$USER``), marked ``(cli)``.
- An **API token** (``Authorization: Bearer gp_…``, see ``tokens``) is scoped to one
  team or to the admins. An admin token may act on any unit; a team token only on units
  of its team's services: their instances, their pipeline and their components.
  Environments belong to the platform team: only admins act on them. A unit recorded
  before Goldenpath kept teams has no team until its next deployment; until then only
  admins may act on it.

Refusals raise ``NotAuthenticated`` (no token, or malformed, unknown or revoked) or
``NotPermitted`` (wrong scope); neither changes anything, and no token is ever logged —
only its public id.
"""

from __future__ import annotations

import getpass
import os
import re
from dataclasses import dataclass

import structlog

from reconciler.actions import tokens
from reconciler.errors import ActionInputInvalid, NotAuthenticated, NotPermitted
from reconciler.state import StateStore, StoredToken, UnitRecord

log = structlog.get_logger(__name__)

# Team and token names: as teams.yaml names teams (letters, digits, '-', '_').
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")


@dataclass(frozen=True)
class Actor:
    """Who asks for a write action, as the unit's history names them."""

    name: str
    via: str  # "cli" | "token" | "history" (as a history entry names them: the label)
    token_id: str | None = None
    team: str | None = None  # a token's team; None: an admin token (or the CLI)

    @property
    def admin(self) -> bool:
        return self.via == "cli" or self.team is None

    @property
    def label(self) -> str:
        """``anna (cli)``, ``ci-bot (token 3fa2c1d0e9b8, team storefront)``."""
        if self.via == "cli":
            return f"{self.name} (cli)"
        if self.via == "history":
            return self.name
        scope = "admin" if self.team is None else f"team {self.team}"
        return f"{self.name} (token {self.token_id}, {scope})"


def operator(name: str | None = None) -> Actor:
    """The person at the command line: ``--as NAME``, else ``$USER``."""
    chosen = name or os.environ.get("USER") or _login()
    if not _NAME.fullmatch(chosen):
        raise ActionInputInvalid(
            f"--as {chosen!r}: expected a name of letters, digits, '-', '_' or '.'"
        )
    return Actor(chosen, "cli")


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "operator"


def check_name(value: str, what: str) -> str:
    if not _NAME.fullmatch(value):
        raise ActionInputInvalid(
            f"{what} {value!r}: expected letters, digits, '-', '_' or '.' (at most 63)"
        )
    return value


def create_token(
    store: StateStore, *, team: str | None, name: str, created_by: str
) -> tuple[tokens.IssuedToken, StoredToken]:
    """A new token for ``team`` (None: the admins); its text is returned, never stored."""
    if team is not None:
        check_name(team, "--team")
    check_name(name, "--name")
    issued = tokens.issue()
    stored = StoredToken(
        id=issued.id,
        team=team,
        name=name,
        digest=issued.digest,
        created_at=store.now(),
        created_by=created_by,
    )
    store.add_token(stored)
    log.info("token.created", token_id=issued.id, scope=stored.scope, name=name, by=created_by)
    return issued, stored


def authenticate(store: StateStore, authorization: str | None) -> Actor:
    """The actor an ``Authorization`` header value proves; ``NotAuthenticated`` otherwise."""
    text = tokens.bearer(authorization)
    if text is None:
        raise NotAuthenticated(
            "this request changes something and needs a token: send "
            "'Authorization: Bearer gp_…' (an admin creates one with `goldenpath token create`)"
        )
    presented = tokens.parse(text)
    if presented is None:
        raise NotAuthenticated("the bearer token is not a Goldenpath token (gp_<id>_<secret>)")
    stored = store.token(presented.id)
    if not tokens.matches(presented, stored.digest if stored else None) or stored is None:
        log.warning("token.refused", token_id=presented.id, why="unknown or wrong secret")
        raise NotAuthenticated(f"token {presented.id} is not valid")
    if stored.revoked:
        log.warning("token.refused", token_id=presented.id, why="revoked")
        raise NotAuthenticated(f"token {presented.id} was revoked")
    return Actor(stored.name, "token", stored.id, stored.team)


def authorize(actor: Actor, record: UnitRecord) -> None:
    """Raise ``NotPermitted`` unless ``actor`` may act on the unit ``record``."""
    if actor.admin:
        return
    if record.team == actor.team:
        return
    if record.kind == "environment":
        owner = "the admins (environments belong to the platform team)"
    elif record.team is None:
        owner = "the admins until its next deployment records its team"
    else:
        owner = f"team {record.team}"
    log.warning("token.not_permitted", token_id=actor.token_id, unit=record.id, team=actor.team)
    raise NotPermitted(
        f"token {actor.token_id} of team {actor.team} may act only on units of its team's "
        f"services; {record.id} is for {owner}"
    )
