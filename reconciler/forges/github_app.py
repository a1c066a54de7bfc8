"""Authenticating as a GitHub App installation: an RS256 JWT buys an installation token.

The JWT is signed with the app's private key (``iat`` a minute in the past for clock
drift, ``exp`` under GitHub's ten-minute cap) and sent to
``POST /app/installations/{id}/access_tokens``. The token it returns lasts an hour; it is
cached until shortly before ``expires_at`` and fetched again when GitHub refuses it.
The JWT is small enough to build here with ``cryptography`` rather than a JWT library.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import httpx
import structlog
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from reconciler.forges.errors import ForgeRejected, SettingsError
from reconciler.forges.github import GitHubRateLimits, api_url, base_headers
from reconciler.forges.transport import Clock, RetryPolicy, Transport

log = structlog.get_logger(__name__)

JWT_BACKDATE_S = 60  # GitHub recommends iat 60 s in the past, for clock drift
JWT_LIFETIME_S = 540  # exp at most 10 min after "now"; stay under it with the backdate
TOKEN_MARGIN_S = 300  # fetch a new installation token this long before it expires


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def load_private_key(pem: bytes, source: str) -> rsa.RSAPrivateKey:
    """The app's RSA private key from PEM; ``source`` names where it came from in errors."""
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise SettingsError(f"{source}: not a PEM private key without password ({exc})") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SettingsError(f"{source}: GitHub App keys are RSA, got {type(key).__name__}")
    return key


def app_jwt(app_id: str, key: rsa.RSAPrivateKey, now: float) -> str:
    """A JWT GitHub accepts as the app's identity, valid for about ten minutes."""
    header = {"alg": "RS256", "typ": "JWT"}
    issued = int(now) - JWT_BACKDATE_S
    claims = {"iat": issued, "exp": int(now) + JWT_LIFETIME_S, "iss": app_id}
    signing_input = ".".join(
        _b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
    )
    signature = key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64url(signature)}"


class AppIdentity:
    """Credentials of the app itself (``Bearer <JWT>``), used only to get tokens."""

    def __init__(self, app_id: str, key: rsa.RSAPrivateKey, clock: Clock, user_agent: str) -> None:
        self._app_id = app_id
        self._key = key
        self._clock = clock
        self._base = base_headers(user_agent)

    def headers(self) -> Mapping[str, str]:
        jwt = app_jwt(self._app_id, self._key, self._clock.time())
        return {**self._base, "Authorization": f"Bearer {jwt}"}

    def refresh(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"AppIdentity(app_id={self._app_id!r})"


@dataclass
class _CachedToken:
    value: str = field(repr=False)
    expires_at: float  # epoch seconds


class GitHubAppInstallation:
    """Credentials of one app installation: a cached installation token as ``Bearer``."""

    def __init__(self, app: Transport, installation_id: str, user_agent: str) -> None:
        """``app`` is a Transport that authenticates as the app (:class:`AppIdentity`)."""
        self._app = app
        self._installation_id = installation_id
        self._base = base_headers(user_agent)
        self._token: _CachedToken | None = None
        self._lock = threading.Lock()

    def headers(self) -> Mapping[str, str]:
        with self._lock:
            now = self._app.clock.time()
            if self._token is None or now >= self._token.expires_at - TOKEN_MARGIN_S:
                self._token = self._fetch()
            return {**self._base, "Authorization": f"Bearer {self._token.value}"}

    def refresh(self) -> bool:
        with self._lock:
            self._token = None
        return True

    def _fetch(self) -> _CachedToken:
        path = f"/app/installations/{self._installation_id}/access_tokens"
        document = self._app.request("POST", path).json()
        try:
            expires = datetime.fromisoformat(str(document["expires_at"])).timestamp()
            token = str(document["token"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ForgeRejected("POST", path, 200, f"unexpected answer: {exc}") from exc
        log.info("forge.installation_token", installation=self._installation_id)
        return _CachedToken(value=token, expires_at=expires)

    def __repr__(self) -> str:
        return f"GitHubAppInstallation(installation_id={self._installation_id!r})"


def github_app_credentials(
    app_id: str,
    key: rsa.RSAPrivateKey,
    installation_id: str,
    *,
    user_agent: str,
    http: httpx.Client,
    clock: Clock,
    policy: RetryPolicy,
    url: str | None = None,
) -> GitHubAppInstallation:
    """Credentials that act as installation ``installation_id`` of app ``app_id``."""
    identity = AppIdentity(app_id, key, clock, user_agent)
    app = Transport(api_url(url), identity, GitHubRateLimits(), clock, policy, http)
    return GitHubAppInstallation(app, installation_id, user_agent)
