"""The one token scheme of every endpoint that changes something.

Write actions on the API (cancel, retry, continue-update-rollback) use it now; the
Terraform notification endpoint will use it as it is. A token reads

    gp_<id>_<secret>        e.g.  gp_3fa2c1d0e9b8_Jx0…  (59 characters)

- ``gp_`` makes a leaked token recognisable to secret scanners and to people;
- ``<id>``: 12 hex digits (6 random bytes), public: the key the store looks the token
  up by, shown by ``goldenpath token list`` and recorded with every use;
- ``<secret>``: ``secrets.token_urlsafe(32)``, 256 bits from the OS's CSPRNG.

Only ``sha256("goldenpath-token-v1:" + id + ":" + secret)`` is stored. A fast hash is
enough, and the right choice, because the secret is random, not chosen by a person:
nobody can search 2^256 preimages, so a slow KDF (scrypt, bcrypt) would only add tens
of milliseconds and CPU to every request, an easy denial of service, without making a
stolen table any easier to keep. Salting exists against precomputed tables of likely
passwords, which cannot exist for random 256-bit secrets; the id and the version prefix
are mixed in anyway, so two tokens never share a hash and a future scheme can tell its
own. No pepper: ``goldenpath token create`` and ``serve`` would both need it, and losing
it would void every token. The digest is compared with ``hmac.compare_digest`` (constant
time); an unknown id is compared against a dummy digest so that both take as long.
Tokens are never logged: only their id is.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field

PREFIX = "gp_"
ID_BYTES = 6
SECRET_BYTES = 32
_VERSION = "goldenpath-token-v1"
_SHAPE = re.compile(r"gp_(?P<id>[0-9a-f]{12})_(?P<secret>[A-Za-z0-9_-]{43})")
# Compared against when the id is unknown, so that answer takes as long as a wrong secret.
_DUMMY_DIGEST = hashlib.sha256(b"goldenpath-token-v1:unknown").hexdigest()


@dataclass(frozen=True)
class PresentedToken:
    """A token as a request carried it: its public id and its secret (never shown)."""

    id: str
    secret: str = field(repr=False)


@dataclass(frozen=True)
class IssuedToken:
    """A new token: ``text`` is shown once, to its creator; ``digest`` is what is kept."""

    id: str
    text: str = field(repr=False)
    digest: str


def issue() -> IssuedToken:
    """A fresh random token and the digest to store for it."""
    token_id = secrets.token_hex(ID_BYTES)
    secret = secrets.token_urlsafe(SECRET_BYTES)
    return IssuedToken(token_id, f"{PREFIX}{token_id}_{secret}", digest_of(token_id, secret))


def digest_of(token_id: str, secret: str) -> str:
    return hashlib.sha256(f"{_VERSION}:{token_id}:{secret}".encode()).hexdigest()


def parse(text: str) -> PresentedToken | None:
    """The id and secret of a well-formed token; None for anything else."""
    match = _SHAPE.fullmatch(text.strip())
    if match is None:
        return None
    return PresentedToken(match["id"], match["secret"])


def matches(presented: PresentedToken, stored_digest: str | None) -> bool:
    """Whether ``presented`` is the token ``stored_digest`` was made from (constant time).

    ``stored_digest`` None (no such id) still costs one comparison.
    """
    computed = digest_of(presented.id, presented.secret)
    expected = stored_digest if stored_digest is not None else _DUMMY_DIGEST
    same = hmac.compare_digest(computed.encode(), expected.encode())
    return same and stored_digest is not None


def bearer(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header value; None if absent."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()
