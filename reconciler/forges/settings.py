"""Which forge to report to and how to authenticate, read from ``GOLDENPATH_*`` variables.

Reporting is off unless ``GOLDENPATH_FORGE`` is set. Secrets (tokens, the GitHub App key)
come only from the environment; ``repr`` never shows them. Every problem is reported at
start-up with the variable's name and what it should hold, not at the first status.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from reconciler.forges.client import ForgeClient
from reconciler.forges.errors import SettingsError
from reconciler.forges.github import GitHubToken, github_forge
from reconciler.forges.github_app import github_app_credentials, load_private_key
from reconciler.forges.gitlab import GitLabToken, gitlab_forge
from reconciler.forges.transport import Clock, Credentials, RetryPolicy

FORGES = ("github", "gitlab")
GITLAB_AUTH = ("private-token", "bearer")
USER_AGENT = "goldenpath"
PEM_START = "-----BEGIN"
_APP_VARIABLES = (
    "GOLDENPATH_GITHUB_APP_ID",
    "GOLDENPATH_GITHUB_APP_KEY",
    "GOLDENPATH_GITHUB_INSTALLATION_ID",
)


@dataclass(frozen=True)
class GitHubApp:
    """A GitHub App installation to act as, instead of a token."""

    app_id: str  # GOLDENPATH_GITHUB_APP_ID: the app's id (or client id)
    # GOLDENPATH_GITHUB_APP_KEY: the app's private key, as PEM text or a path to a PEM file.
    private_key_pem: bytes = field(repr=False)
    installation_id: str  # GOLDENPATH_GITHUB_INSTALLATION_ID: the installation in the org


@dataclass(frozen=True)
class ForgeSettings:
    """Where statuses and comments go. ``forge=None`` turns reporting off."""

    # GOLDENPATH_FORGE: "github" | "gitlab", or None for no forge reporting.
    forge: str | None = None
    # GOLDENPATH_FORGE_URL: API base URL; None for github.com / gitlab.com. GitHub
    # Enterprise: https://HOST/api/v3; self-managed GitLab: https://HOST/api/v4.
    url: str | None = None
    # GOLDENPATH_FORGE_TOKEN: a GitHub or GitLab access token.
    token: str | None = field(default=None, repr=False)
    # GOLDENPATH_FORGE_REPO: "owner/name" on GitHub; a project id or path on GitLab.
    repo: str | None = None
    # GOLDENPATH_GITHUB_APP_*: act as a GitHub App installation instead of with a token.
    github_app: GitHubApp | None = None
    # GOLDENPATH_GITLAB_AUTH: "private-token" (PRIVATE-TOKEN header) or "bearer" (OAuth).
    gitlab_auth: str = "private-token"
    # Retries, backoff and rate-limit patience for every API call.
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    def __post_init__(self) -> None:
        if self.forge is None:
            return
        if self.forge not in FORGES:
            raise SettingsError(f"GOLDENPATH_FORGE: expected github or gitlab, got {self.forge!r}")
        if not self.repo:
            raise SettingsError(
                f"GOLDENPATH_FORGE_REPO: required when GOLDENPATH_FORGE={self.forge}"
            )
        if self.url is not None:
            _check_url(self.url)
        if self.forge == "github":
            self._check_github()
        else:
            self._check_gitlab()

    def _check_github(self) -> None:
        owner, _, name = (self.repo or "").partition("/")
        if not owner or not name or "/" in name:
            raise SettingsError(f"GOLDENPATH_FORGE_REPO: expected owner/name, got {self.repo!r}")
        if self.token and self.github_app:
            raise SettingsError(
                "GOLDENPATH_FORGE_TOKEN and GOLDENPATH_GITHUB_APP_* are both set: choose one"
            )
        if not self.token and not self.github_app:
            raise SettingsError(
                "GitHub needs GOLDENPATH_FORGE_TOKEN, or GOLDENPATH_GITHUB_APP_ID, "
                "GOLDENPATH_GITHUB_APP_KEY and GOLDENPATH_GITHUB_INSTALLATION_ID"
            )

    def _check_gitlab(self) -> None:
        if not self.token:
            raise SettingsError("GOLDENPATH_FORGE_TOKEN: required when GOLDENPATH_FORGE=gitlab")
        if self.github_app:
            raise SettingsError("GOLDENPATH_GITHUB_APP_* are set but GOLDENPATH_FORGE=gitlab")
        if self.gitlab_auth not in GITLAB_AUTH:
            raise SettingsError(
                "GOLDENPATH_GITLAB_AUTH: expected private-token or bearer, "
                f"got {self.gitlab_auth!r}"
            )

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> ForgeSettings:
        """Read the forge variables; raise :class:`SettingsError` naming a bad one."""
        forge = environ.get("GOLDENPATH_FORGE") or None
        if forge is None:
            stray = [v for v in ("GOLDENPATH_FORGE_TOKEN", *_APP_VARIABLES) if environ.get(v)]
            if stray:
                raise SettingsError(
                    f"{stray[0]} is set but GOLDENPATH_FORGE is not: set it to github or gitlab"
                )
            return cls()
        token = environ.get("GOLDENPATH_FORGE_TOKEN")
        if token is not None and not token.strip():
            raise SettingsError("GOLDENPATH_FORGE_TOKEN is set but empty")
        return cls(
            forge=forge,
            url=environ.get("GOLDENPATH_FORGE_URL") or None,
            token=token,
            repo=environ.get("GOLDENPATH_FORGE_REPO") or None,
            github_app=_github_app(environ),
            gitlab_auth=environ.get("GOLDENPATH_GITLAB_AUTH", "private-token"),
        )

    def secret_values(self) -> tuple[str, ...]:
        """Every secret these settings hold, for log redaction."""
        return (self.token,) if self.token else ()

    def commit_link(self, revision: str) -> str | None:
        """The web page of a commit of the platform repository; None when unknown."""
        if self.forge is None or self.repo is None:
            return None
        api = (self.url or "").rstrip("/")
        if self.forge == "github":
            host = api.removesuffix("/api/v3") if api else "https://github.com"
            return f"{host}/{self.repo}/commit/{revision}"
        host = api.removesuffix("/api/v4") if api else "https://gitlab.com"
        return f"{host}/{self.repo}/-/commit/{revision}"


def _check_url(url: str) -> None:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise SettingsError(f"GOLDENPATH_FORGE_URL: not a URL ({exc})") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise SettingsError(
            f"GOLDENPATH_FORGE_URL: expected an http(s) URL such as "
            f"https://ghe.example.com/api/v3, got {url!r}"
        )


def _github_app(environ: Mapping[str, str]) -> GitHubApp | None:
    values = {name: environ.get(name, "").strip() for name in _APP_VARIABLES}
    if not any(values.values()):
        return None
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise SettingsError(f"GitHub App settings incomplete: {', '.join(missing)} not set")
    key = values["GOLDENPATH_GITHUB_APP_KEY"]
    if key.startswith(PEM_START):
        pem = key.encode()
    else:
        path = Path(key)
        if not path.is_file():
            raise SettingsError(
                f"GOLDENPATH_GITHUB_APP_KEY: {key!r} is neither PEM text nor a readable file"
            )
        pem = path.read_bytes()
    load_private_key(pem, "GOLDENPATH_GITHUB_APP_KEY")  # fail at start-up, not at first use
    return GitHubApp(
        app_id=values["GOLDENPATH_GITHUB_APP_ID"],
        private_key_pem=pem,
        installation_id=values["GOLDENPATH_GITHUB_INSTALLATION_ID"],
    )


def open_forge(settings: ForgeSettings, *, http: httpx.Client, clock: Clock) -> ForgeClient | None:
    """The configured forge client, or None when forge reporting is off."""
    if settings.forge is None or settings.repo is None:
        return None
    if settings.forge == "gitlab":
        assert settings.token is not None  # checked in ForgeSettings
        credentials: Credentials = GitLabToken(
            settings.token, USER_AGENT, bearer=settings.gitlab_auth == "bearer"
        )
        return gitlab_forge(
            settings.repo,
            credentials,
            http=http,
            clock=clock,
            policy=settings.retry,
            url=settings.url,
        )
    if settings.github_app is not None:
        app = settings.github_app
        credentials = github_app_credentials(
            app.app_id,
            load_private_key(app.private_key_pem, "GOLDENPATH_GITHUB_APP_KEY"),
            app.installation_id,
            user_agent=USER_AGENT,
            http=http,
            clock=clock,
            policy=settings.retry,
            url=settings.url,
        )
    else:
        assert settings.token is not None
        credentials = GitHubToken(settings.token, USER_AGENT)
    return github_forge(
        settings.repo, credentials, http=http, clock=clock, policy=settings.retry, url=settings.url
    )
