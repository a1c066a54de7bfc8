"""A fake GitHub REST API on loopback that checks requests the way FORGE-APIS.md says.

Checked on every request: a ``User-Agent``; ``Authorization: Bearer|token <token>`` with a
known token (or an unexpired installation token); the repository; and per endpoint the
method, path, body fields and values (status ``state`` enum, description ≤ 140, comment
body ≤ 65,536, 1,000 statuses per sha and context). A GitHub App JWT is verified (RS256
signature with the app's public key, ``iss``, ``iat``/``exp`` within ten minutes).

    with FakeGitHub(token="t", repo="acme/platform") as github:
        github.open_pull(7, files=["services/a.yaml"])
        ...  # point a client at github.url
        assert github.statuses_for(sha)[-1].state == "success"

Pull requests a client opens itself are served by ``github_pulls`` (checked likewise);
``close_pull(n, merged=...)`` plays a person closing one.

Faults: ``fail_next(2)`` answers 502 twice; ``rate_limit_next()`` answers GitHub's primary
rate-limit 403 (``x-ratelimit-remaining: 0`` and a reset); ``secondary=True`` the
secondary one with ``retry-after``.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.fakes.github_pulls import PullRequest, PullRequestRoutes
from tests.fakes.server import FakeForge, Refuse, Reply, page_of, require_object

STATES = {"error", "failure", "pending", "success"}
DESCRIPTION_LIMIT = 140
BODY_LIMIT = 65_536
STATUSES_PER_CONTEXT = 1000
QUOTA = 5000
WINDOW_S = 3600
JWT_MAX_LIFETIME_S = 600
CLOCK_SKEW_S = 60
TOKEN_LIFETIME_S = 3600
SHA = re.compile(r"[0-9a-f]{40}")
OWNER_REPO = r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)"


@dataclass(frozen=True)
class Status:
    sha: str
    state: str
    context: str
    description: str | None
    target_url: str | None


@dataclass
class Comment:
    id: int
    number: int
    body: str
    edits: int = 0


@dataclass(frozen=True)
class App:
    app_id: str
    public_key: rsa.RSAPublicKey
    installation_id: str


def _too_long(resource: str, name: str, limit: int) -> Refuse:
    """GitHub's 422 for an over-long field, message as the API words it."""
    message = f"{name} is too long (maximum is {limit} characters)"
    error = {"resource": resource, "code": "custom", "field": name, "message": message}
    return Refuse(422, {"message": "Validation Failed", "errors": [error]})


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


class FakeGitHub(PullRequestRoutes, FakeForge):
    """GitHub's statuses, issue comments, PR files and app installation tokens."""

    def __init__(
        self,
        token: str,
        repo: str,
        clock: Callable[[], float] = time.time,
        app: App | None = None,
        prefix: str = "",
    ) -> None:
        """``prefix`` serves the API under a path, as GitHub Enterprise does (/api/v3)."""
        super().__init__(clock)
        self.prefix = prefix
        self.token = token
        self.repo = repo
        self.app = app
        self.statuses: list[Status] = []
        self.comments: dict[int, Comment] = {}
        self.pulls: dict[int, list[dict[str, str]]] = {}
        self.installation_tokens: dict[str, float] = {}  # token → expiry
        self.pull_requests: dict[int, PullRequest] = {}  # those created through the API
        # Whether a branch exists in the repository (a test points it at its bare remote).
        self.branch_exists: Callable[[str], bool] = lambda branch: True
        self.collaborators: set[str] = set()  # logins that may be asked to review
        self.teams: set[str] = set()  # team slugs with access to the repository
        self._next_id = 1000
        self._used = 0
        self._window_reset = int(clock()) + WINDOW_S
        self._add_routes()

    @property
    def url(self) -> str:
        """The API base URL (GitHub Enterprise style is a path; github.com has none)."""
        return self.root_url + self.prefix

    def open_pull(self, number: int, files: list[str] | None = None) -> None:
        """Make PR ``number`` exist, touching ``files``."""
        self.pulls[number] = [{"filename": f, "status": "modified"} for f in files or []]

    def statuses_for(self, sha: str) -> list[Status]:
        return [s for s in self.statuses if s.sha == sha]

    def comments_on(self, number: int) -> list[Comment]:
        return [c for c in self.comments.values() if c.number == number]

    def rate_limit_next(self, count: int = 1, reset_in: int = 60, secondary: bool = False) -> None:
        """Answer the next ``count`` requests with GitHub's rate-limit 403."""
        reset = str(int(self.clock()) + reset_in)
        if secondary:
            headers = {"retry-after": str(reset_in)}
            message = "You have exceeded a secondary rate limit. Please wait a few minutes."
        else:
            headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset}
            message = "API rate limit exceeded for installation."
        self.fail_next(count, 403, {"message": message}, headers)

    # -- checks ---------------------------------------------------------------------------

    def extra_headers(self) -> dict[str, str]:
        self._used += 1
        return {
            "x-ratelimit-limit": str(QUOTA),
            "x-ratelimit-remaining": str(max(QUOTA - self._used, 0)),
            "x-ratelimit-used": str(self._used),
            "x-ratelimit-reset": str(self._window_reset),
            "x-ratelimit-resource": "core",
        }

    def authenticate(self, path: str, headers: dict[str, str]) -> None:
        if not headers.get("user-agent"):
            raise Refuse(
                403,
                {
                    "message": "Request forbidden by administrative rules. "
                    "Please make sure your request has a User-Agent header"
                },
            )
        scheme, _, credential = headers.get("authorization", "").partition(" ")
        if path.startswith(self.prefix + "/app/"):
            if scheme != "Bearer":
                raise Refuse(401, {"message": "A JSON web token must be sent as Bearer"})
            self._check_jwt(credential)
            return
        if scheme not in ("Bearer", "token") or not self._token_valid(credential):
            raise Refuse(401, {"message": "Bad credentials"})

    def _token_valid(self, credential: str) -> bool:
        if credential == self.token:
            return True
        expiry = self.installation_tokens.get(credential)
        return expiry is not None and self.clock() < expiry

    def _check_jwt(self, jwt: str) -> None:
        if self.app is None:
            raise Refuse(401, {"message": "This fake has no GitHub App configured"})
        try:
            header_part, claims_part, signature_part = jwt.split(".")
            header = json.loads(_b64decode(header_part))
            claims = json.loads(_b64decode(claims_part))
            self.app.public_key.verify(
                _b64decode(signature_part),
                f"{header_part}.{claims_part}".encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except (ValueError, InvalidSignature) as exc:
            raise Refuse(
                401, {"message": f"A JSON web token could not be decoded: {exc!r}"}
            ) from None
        now = self.clock()
        if header.get("alg") != "RS256":
            raise Refuse(401, {"message": "JWT must be signed with RS256"})
        if str(claims.get("iss")) != self.app.app_id:
            raise Refuse(401, {"message": f"'Issuer' claim ('iss') must be {self.app.app_id}"})
        iat, exp = claims.get("iat"), claims.get("exp")
        if not isinstance(iat, int) or not isinstance(exp, int):
            raise Refuse(401, {"message": "'iat' and 'exp' must be integers"})
        if iat > now + CLOCK_SKEW_S:
            raise Refuse(
                401,
                {
                    "message": "'Issued at' claim ('iat') must be an Integer "
                    "representing a time in the past."
                },
            )
        if exp <= now or exp > now + JWT_MAX_LIFETIME_S:
            raise Refuse(
                401,
                {
                    "message": "'Expiration time' claim ('exp') is too far in the "
                    "future or in the past"
                },
            )

    def _repo(self, match: re.Match[str]) -> None:
        if f"{match['owner']}/{match['repo']}".lower() != self.repo.lower():
            raise Refuse(404, {"message": "Not Found"})

    def _pull(self, match: re.Match[str]) -> int:
        self._repo(match)
        number = int(match["number"])
        if number not in self.pulls:
            raise Refuse(404, {"message": "Not Found"})
        return number

    @staticmethod
    def _body_text(body: object) -> str:
        text: str = require_object(body, {"body"}, {"body"})["body"]
        if len(text) > BODY_LIMIT:
            raise _too_long("IssueComment", "body", BODY_LIMIT)
        return text

    # -- endpoints ------------------------------------------------------------------------

    def _add_routes(self) -> None:
        repo = self.prefix + OWNER_REPO
        self.route("POST", repo + r"/statuses/(?P<sha>[^/]+)", self._create_status)
        self.route("GET", repo + r"/issues/(?P<number>\d+)/comments", self._list_comments)
        self.route("POST", repo + r"/issues/(?P<number>\d+)/comments", self._comment)
        self.route("PATCH", repo + r"/issues/comments/(?P<id>\d+)", self._edit_comment)
        self.route("GET", repo + r"/pulls/(?P<number>\d+)/files", self._files)
        self.add_pull_routes(self.route, repo)
        self.route(
            "POST",
            self.prefix + r"/app/installations/(?P<id>\d+)/access_tokens",
            self._access_token,
        )

    def _create_status(self, match: re.Match[str], query: dict[str, str], body: Any) -> Reply:
        self._repo(match)
        sha = match["sha"]
        if not SHA.fullmatch(sha):
            raise Refuse(422, {"message": f"No commit found for SHA: {sha}"})
        fields = require_object(body, {"state", "target_url", "description", "context"}, {"state"})
        if fields["state"] not in STATES:
            raise Refuse(422, {"message": f"state must be one of {sorted(STATES)}"})
        description = fields.get("description")
        if description is not None and len(description) > DESCRIPTION_LIMIT:
            raise _too_long("Status", "description", DESCRIPTION_LIMIT)
        context = fields.get("context", "default")
        same = [s for s in self.statuses_for(sha) if s.context.lower() == context.lower()]
        if len(same) >= STATUSES_PER_CONTEXT:
            raise Refuse(
                422, {"message": "This SHA and context has reached the maximum number of statuses."}
            )
        status = Status(sha, fields["state"], context, description, fields.get("target_url"))
        self.statuses.append(status)
        return Reply(
            201,
            {
                "id": len(self.statuses),
                "state": status.state,
                "context": context,
                "description": description,
                "target_url": status.target_url,
            },
        )

    def _comment(self, match: re.Match[str], query: dict[str, str], body: Any) -> Reply:
        number = self._pull(match)
        self._next_id += 1
        comment = Comment(self._next_id, number, self._body_text(body))
        self.comments[comment.id] = comment
        return Reply(201, {"id": comment.id, "body": comment.body})

    def _edit_comment(self, match: re.Match[str], query: dict[str, str], body: Any) -> Reply:
        self._repo(match)
        comment = self.comments.get(int(match["id"]))
        if comment is None:
            raise Refuse(404, {"message": "Not Found"})
        comment.body = self._body_text(body)
        comment.edits += 1
        return Reply(200, {"id": comment.id, "body": comment.body})

    def _list_comments(self, match: re.Match[str], query: dict[str, str], body: Any) -> Reply:
        number = self._pull(match)
        items = [{"id": c.id, "body": c.body} for c in self.comments_on(number)]
        return Reply(200, page_of(items, query, max_per_page=100)[0])

    def _files(self, match: re.Match[str], query: dict[str, str], body: Any) -> Reply:
        number = self._pull(match)
        return Reply(200, page_of(self.pulls[number], query, max_per_page=100)[0])

    def _access_token(self, match: re.Match[str], query: dict[str, str], body: Any) -> Reply:
        assert self.app is not None  # authenticate() checked the JWT against it
        if match["id"] != self.app.installation_id:
            raise Refuse(404, {"message": "Not Found"})
        if body is not None:
            require_object(
                body, {"repositories", "repository_ids", "permissions"}, set(), strings=False
            )
        token = "ghs_" + secrets.token_hex(16)
        expiry = self.clock() + TOKEN_LIFETIME_S
        self.installation_tokens[token] = expiry
        expires_at = datetime.fromtimestamp(int(expiry), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return Reply(201, {"token": token, "expires_at": expires_at})


def app_key_pair(app_id: str = "12345", installation_id: str = "1") -> tuple[bytes, App]:
    """A throwaway RSA key (PEM) and the matching App for the fake."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return pem, App(app_id, key.public_key(), installation_id)
