"""Acting as a GitHub App installation: JWT → installation token, cached until expiry."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from reconciler.forges.client import ForgeClient
from reconciler.forges.errors import ForgeRejected, SettingsError
from reconciler.forges.github import github_forge
from reconciler.forges.github_app import (
    TOKEN_MARGIN_S,
    github_app_credentials,
    load_private_key,
)
from reconciler.forges.model import CommitStatus, StatusState
from tests.fakes.clock import FakeClock
from tests.fakes.github import App, FakeGitHub, app_key_pair
from tests.forges.conftest import POLICY, REPO, SHA

STATUS = CommitStatus("goldenpath/apply", StatusState.PENDING, "applying")
TOKEN_LIFETIME_S = 3600


@pytest.fixture(scope="module")
def key_pair() -> tuple[bytes, App]:
    return app_key_pair(app_id="4242", installation_id="77")


@pytest.fixture
def app_github(clock: FakeClock, key_pair: tuple[bytes, App]) -> Iterator[FakeGitHub]:
    _, app = key_pair
    with FakeGitHub(token="unused-pat", repo=REPO, clock=clock.time, app=app) as fake:
        yield fake


def app_client(
    fake: FakeGitHub, http: httpx.Client, clock: FakeClock, pem: bytes, app_id: str = "4242"
) -> ForgeClient:
    credentials = github_app_credentials(
        app_id,
        load_private_key(pem, "test key"),
        "77",
        user_agent="goldenpath-tests",
        http=http,
        clock=clock,
        policy=POLICY,
        url=fake.url,
    )
    return github_forge(REPO, credentials, http=http, clock=clock, policy=POLICY, url=fake.url)


def token_requests(fake: FakeGitHub) -> list[int]:
    return [c.status for c in fake.calls if c.path.endswith("/access_tokens")]


def test_installation_token_is_fetched_with_a_jwt_and_used(
    app_github: FakeGitHub, http: httpx.Client, clock: FakeClock, key_pair: tuple[bytes, App]
) -> None:
    app_client(app_github, http, clock, key_pair[0]).set_status(SHA, STATUS)
    assert token_requests(app_github) == [201]
    [token] = app_github.installation_tokens
    status_call = next(c for c in app_github.calls if "/statuses/" in c.path)
    assert status_call.headers["authorization"] == f"Bearer {token}"
    assert len(app_github.statuses_for(SHA)) == 1


def test_installation_token_is_cached_until_near_expiry(
    app_github: FakeGitHub, http: httpx.Client, clock: FakeClock, key_pair: tuple[bytes, App]
) -> None:
    client = app_client(app_github, http, clock, key_pair[0])
    client.set_status(SHA, STATUS)
    client.set_status(SHA, CommitStatus("goldenpath/apply", StatusState.SUCCESS, "1 applied"))
    assert token_requests(app_github) == [201]
    clock.advance(TOKEN_LIFETIME_S - TOKEN_MARGIN_S + 1)
    client.set_status(SHA, CommitStatus("goldenpath/plan", StatusState.SUCCESS, "ok"))
    assert token_requests(app_github) == [201, 201]
    assert len(app_github.statuses_for(SHA)) == 3


def test_refused_installation_token_is_replaced_once(
    app_github: FakeGitHub, http: httpx.Client, clock: FakeClock, key_pair: tuple[bytes, App]
) -> None:
    client = app_client(app_github, http, clock, key_pair[0])
    client.set_status(SHA, STATUS)
    app_github.installation_tokens.clear()  # GitHub revoked it
    client.set_status(SHA, CommitStatus("goldenpath/apply", StatusState.SUCCESS, "done"))
    assert token_requests(app_github) == [201, 201]
    assert [s.state for s in app_github.statuses_for(SHA)] == ["pending", "success"]


def test_jwt_for_the_wrong_app_is_rejected(
    app_github: FakeGitHub, http: httpx.Client, clock: FakeClock, key_pair: tuple[bytes, App]
) -> None:
    with pytest.raises(ForgeRejected, match="'iss'"):
        app_client(app_github, http, clock, key_pair[0], app_id="1").set_status(SHA, STATUS)


def test_jwt_signed_with_another_key_is_rejected(
    app_github: FakeGitHub, http: httpx.Client, clock: FakeClock
) -> None:
    other_pem, _ = app_key_pair()
    with pytest.raises(ForgeRejected, match="401"):
        app_client(app_github, http, clock, other_pem).set_status(SHA, STATUS)
    assert app_github.statuses_for(SHA) == []


def test_key_that_is_not_pem_is_a_settings_error() -> None:
    with pytest.raises(SettingsError, match="GOLDENPATH_GITHUB_APP_KEY: not a PEM private key"):
        load_private_key(b"not a key", "GOLDENPATH_GITHUB_APP_KEY")
