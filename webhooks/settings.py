"""What the webhook receiver needs to know, read from ``GOLDENPATH_*`` variables.

Secrets come only from the environment, never from files in the platform repo. A missing
secret is not a start-up error: the receiver starts and refuses every delivery with 503
(fail closed) and a log line saying which variable to set.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from reconciler.forges.errors import SettingsError

MIB = 1024 * 1024
DEFAULT_LISTEN = "127.0.0.1:8080"
MAX_PORT = 65535


@dataclass(frozen=True)
class WebhookSecrets:
    """The shared secrets deliveries must prove they know, per repository and by default.

    Repository keys are matched case-insensitively ("Owner/Name" == "owner/name"), as
    GitHub and GitLab treat them. ``repr`` never shows a secret.
    """

    # Used for any repository without an entry of its own; None: no default.
    default: str | None = field(default=None, repr=False)
    # "owner/name" (or a GitLab "group/sub/project" path) → that repository's secret.
    per_repo: Mapping[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        lowered = {repo.lower(): secret for repo, secret in self.per_repo.items()}
        object.__setattr__(self, "per_repo", MappingProxyType(lowered))

    @property
    def configured(self) -> bool:
        """True when at least one secret exists, so some delivery could be accepted."""
        return self.default is not None or bool(self.per_repo)

    def for_repo(self, repo: str | None) -> str | None:
        """The secret for ``repo``: its own, else the default, else None (refuse)."""
        if repo is not None:
            own = self.per_repo.get(repo.lower())
            if own is not None:
                return own
        return self.default

    def values(self) -> tuple[str, ...]:
        """Every secret, for log redaction."""
        known = tuple(self.per_repo.values())
        return known if self.default is None else (self.default, *known)


@dataclass(frozen=True)
class ListenAddress:
    """Where ``goldenpath serve`` accepts HTTP connections."""

    host: str  # an IP address or host name; IPv6 without brackets
    port: int  # 1-65535

    @classmethod
    def parse(cls, value: str, variable: str = "GOLDENPATH_LISTEN") -> ListenAddress:
        """Parse ``host:port`` or ``[v6]:port``."""
        host, sep, port_text = value.rpartition(":")
        if not sep or not host:
            raise SettingsError(
                f"{variable}: expected host:port (e.g. 127.0.0.1:8080), got {value!r}"
            )
        if host.startswith("[") and host.endswith("]"):
            host = host[1:-1]
        if not port_text.isdigit() or not 1 <= int(port_text) <= MAX_PORT:
            raise SettingsError(f"{variable}: port must be 1-{MAX_PORT}, got {port_text!r}")
        return cls(host=host, port=int(port_text))

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


@dataclass(frozen=True)
class ReceiverSettings:
    """How the webhook receiver verifies, filters and bounds deliveries."""

    # Shared secrets (GOLDENPATH_WEBHOOK_SECRET, GOLDENPATH_WEBHOOK_SECRETS).
    secrets: WebhookSecrets = field(default_factory=WebhookSecrets)
    # The tracked branch (GOLDENPATH_BRANCH): pushes elsewhere, and change requests that
    # target another branch, are acknowledged and ignored.
    branch: str = "main"
    # Larger bodies get 413 before they are read in full (DESIGN.md: 5 MiB).
    max_body_bytes: int = 5 * MIB
    # What is left of a refused body is read and discarded, up to this many bytes, before
    # the 413 goes out: a sender that writes its whole body before reading then reads the
    # answer instead of a connection reset (nginx's lingering close). Beyond it, or beyond
    # drain_seconds, the 413 goes out with Connection: close.
    drain_bytes: int = 16 * MIB
    # The most time spent draining one refused body.
    drain_seconds: float = 10.0
    # Events waiting for the reconciler; when full, deliveries get 503 and can be redelivered.
    queue_capacity: int = 10_000
    # Delivery ids remembered in memory to turn redeliveries into no-ops.
    deliveries_remembered: int = 100_000
    # Where `goldenpath serve` listens (GOLDENPATH_LISTEN).
    listen: ListenAddress = field(default_factory=lambda: ListenAddress.parse(DEFAULT_LISTEN))

    def __post_init__(self) -> None:
        if not self.branch or self.branch.startswith("refs/"):
            raise SettingsError(
                f"GOLDENPATH_BRANCH: give a branch name such as main, got {self.branch!r}"
            )
        for name in ("max_body_bytes", "queue_capacity", "deliveries_remembered"):
            if getattr(self, name) < 1:
                raise SettingsError(f"{name} must be at least 1, got {getattr(self, name)}")
        for name in ("drain_bytes", "drain_seconds"):
            if getattr(self, name) < 0:
                raise SettingsError(f"{name} must not be negative, got {getattr(self, name)}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> ReceiverSettings:
        """Read the receiver's variables; raise :class:`SettingsError` naming a bad one."""
        return cls(
            secrets=WebhookSecrets(
                default=_secret(environ, "GOLDENPATH_WEBHOOK_SECRET"),
                per_repo=_per_repo_secrets(environ, "GOLDENPATH_WEBHOOK_SECRETS"),
            ),
            branch=environ.get("GOLDENPATH_BRANCH", "main"),
            listen=ListenAddress.parse(environ.get("GOLDENPATH_LISTEN", DEFAULT_LISTEN)),
        )


def _secret(environ: Mapping[str, str], variable: str) -> str | None:
    value = environ.get(variable)
    if value is None:
        return None
    if not value.strip():
        # An empty secret must never mean "skip verification".
        raise SettingsError(f"{variable} is set but empty: set a secret or unset the variable")
    return value


def _per_repo_secrets(environ: Mapping[str, str], variable: str) -> dict[str, str]:
    raw = environ.get(variable)
    if raw is None:
        return {}
    expected = 'a JSON object such as {"owner/name": "secret"}'
    try:
        document = json.loads(raw)
    except json.JSONDecodeError as exc:
        # The message must not echo the value: it holds secrets.
        raise SettingsError(
            f"{variable}: expected {expected}; not JSON at line {exc.lineno} column {exc.colno}"
        ) from None
    if not isinstance(document, dict):
        raise SettingsError(
            f"{variable}: expected {expected}, got a JSON {type(document).__name__}"
        )
    for repo, secret in document.items():
        if not repo.strip() or "/" not in repo:
            raise SettingsError(
                f"{variable}: key {repo!r} is not a repository path like owner/name"
            )
        if not isinstance(secret, str) or not secret.strip():
            raise SettingsError(f"{variable}: the secret for {repo!r} must be a non-empty string")
    return dict(document)


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


@dataclass(frozen=True)
class ApiSettings:
    """Who may read and write through the JSON API and the web page."""

    # GOLDENPATH_API_READ_TOKEN_REQUIRED: when true, reading the API and the pages needs
    # a token too (any scope); /healthz and /metrics stay open. Writes always need one.
    read_token_required: bool = False
    # A write request's body is a small JSON object; bigger ones get 413 unread.
    max_body_bytes: int = 64 * 1024

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> ApiSettings:
        variable = "GOLDENPATH_API_READ_TOKEN_REQUIRED"
        raw = environ.get(variable, "").strip().lower()
        if raw not in _TRUE + _FALSE:
            raise SettingsError(f"{variable}: expected true or false, got {raw!r}")
        return cls(read_token_required=raw in _TRUE)
