"""ForgeSettings from GOLDENPATH_* variables: the forge, its URL, auth, and clear errors."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from reconciler.forges.errors import SettingsError
from reconciler.forges.model import CommitStatus, StatusState
from reconciler.forges.settings import ForgeSettings, open_forge
from reconciler.forges.transport import RetryPolicy
from tests.fakes.clock import FakeClock
from tests.fakes.github import FakeGitHub, app_key_pair
from tests.fakes.gitlab import FakeGitLab
from tests.forges.conftest import (
    GITLAB_TOKEN,
    PROJECT_ID,
    PROJECT_PATH,
    REPO,
    SHA,
    TOKEN,
)

STATUS = CommitStatus("goldenpath/plan", StatusState.SUCCESS, "ok")


def test_no_forge_means_reporting_is_off(http: httpx.Client, clock: FakeClock) -> None:
    settings = ForgeSettings.from_env({})
    assert settings.forge is None
    assert open_forge(settings, http=http, clock=clock) is None


def test_github_token_settings_open_a_working_client(
    github: FakeGitHub, http: httpx.Client, clock: FakeClock
) -> None:
    settings = ForgeSettings.from_env(
        {
            "GOLDENPATH_FORGE": "github",
            "GOLDENPATH_FORGE_URL": github.url,
            "GOLDENPATH_FORGE_TOKEN": TOKEN,
            "GOLDENPATH_FORGE_REPO": REPO,
        }
    )
    forge = open_forge(settings, http=http, clock=clock)
    assert forge is not None
    forge.set_status(SHA, STATUS)
    assert len(github.statuses_for(SHA)) == 1


def test_gitlab_settings_open_a_working_client(
    gitlab: FakeGitLab, http: httpx.Client, clock: FakeClock
) -> None:
    settings = ForgeSettings.from_env(
        {
            "GOLDENPATH_FORGE": "gitlab",
            "GOLDENPATH_FORGE_URL": gitlab.url,
            "GOLDENPATH_FORGE_TOKEN": GITLAB_TOKEN,
            "GOLDENPATH_FORGE_REPO": PROJECT_PATH,
            "GOLDENPATH_GITLAB_AUTH": "bearer",
        }
    )
    forge = open_forge(settings, http=http, clock=clock)
    assert forge is not None
    forge.set_status(SHA, STATUS)
    assert gitlab.calls[0].headers["authorization"] == f"Bearer {GITLAB_TOKEN}"


def test_github_app_settings_from_a_key_file(
    tmp_path: Path, http: httpx.Client, clock: FakeClock
) -> None:
    pem, app = app_key_pair(app_id="9", installation_id="5")
    key_file = tmp_path / "app.pem"
    key_file.write_bytes(pem)
    with FakeGitHub(token="unused", repo=REPO, clock=clock.time, app=app) as fake:
        settings = ForgeSettings.from_env(
            {
                "GOLDENPATH_FORGE": "github",
                "GOLDENPATH_FORGE_URL": fake.url,
                "GOLDENPATH_FORGE_REPO": REPO,
                "GOLDENPATH_GITHUB_APP_ID": "9",
                "GOLDENPATH_GITHUB_APP_KEY": str(key_file),
                "GOLDENPATH_GITHUB_INSTALLATION_ID": "5",
            }
        )
        forge = open_forge(settings, http=http, clock=clock)
        assert forge is not None
        forge.set_status(SHA, STATUS)
        assert len(fake.statuses_for(SHA)) == 1
    assert pem.decode() not in repr(settings)


def test_github_app_key_may_be_given_as_pem_text() -> None:
    pem, _ = app_key_pair()
    settings = ForgeSettings.from_env(
        {
            "GOLDENPATH_FORGE": "github",
            "GOLDENPATH_FORGE_REPO": REPO,
            "GOLDENPATH_GITHUB_APP_ID": "1",
            "GOLDENPATH_GITHUB_APP_KEY": pem.decode(),
            "GOLDENPATH_GITHUB_INSTALLATION_ID": "2",
        }
    )
    assert settings.github_app is not None
    assert settings.github_app.private_key_pem == pem.strip()


BASE = {"GOLDENPATH_FORGE": "github", "GOLDENPATH_FORGE_REPO": REPO, "GOLDENPATH_FORGE_TOKEN": "t"}


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"GOLDENPATH_FORGE": "bitbucket"}, "GOLDENPATH_FORGE: expected github or gitlab"),
        ({"GOLDENPATH_FORGE": "github", "GOLDENPATH_FORGE_TOKEN": "t"}, "GOLDENPATH_FORGE_REPO"),
        ({**BASE, "GOLDENPATH_FORGE_REPO": "just-a-name"}, "expected owner/name"),
        ({**BASE, "GOLDENPATH_FORGE_TOKEN": " "}, "GOLDENPATH_FORGE_TOKEN is set but empty"),
        ({**BASE, "GOLDENPATH_FORGE_URL": "ghe.example.com"}, "expected an http(s) URL"),
        ({**BASE, "GOLDENPATH_GITHUB_APP_ID": "1"}, "GOLDENPATH_GITHUB_APP_KEY"),
        (
            {"GOLDENPATH_FORGE": "github", "GOLDENPATH_FORGE_REPO": REPO},
            "GitHub needs GOLDENPATH_FORGE_TOKEN",
        ),
        (
            {"GOLDENPATH_FORGE": "gitlab", "GOLDENPATH_FORGE_REPO": str(PROJECT_ID)},
            "GOLDENPATH_FORGE_TOKEN: required when GOLDENPATH_FORGE=gitlab",
        ),
        (
            {
                "GOLDENPATH_FORGE": "gitlab",
                "GOLDENPATH_FORGE_REPO": "1",
                "GOLDENPATH_FORGE_TOKEN": "t",
                "GOLDENPATH_GITLAB_AUTH": "basic",
            },
            "GOLDENPATH_GITLAB_AUTH",
        ),
        ({"GOLDENPATH_FORGE_TOKEN": "t"}, "GOLDENPATH_FORGE is not"),
    ],
)
def test_bad_settings_name_the_variable(environ: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        ForgeSettings.from_env(environ)
    assert message in str(caught.value)


def test_token_and_app_together_are_ambiguous() -> None:
    pem, _ = app_key_pair()
    environ = {
        **BASE,
        "GOLDENPATH_GITHUB_APP_ID": "1",
        "GOLDENPATH_GITHUB_APP_KEY": pem.decode(),
        "GOLDENPATH_GITHUB_INSTALLATION_ID": "2",
    }
    with pytest.raises(SettingsError, match="choose one"):
        ForgeSettings.from_env(environ)


def test_missing_key_file_is_named(tmp_path: Path) -> None:
    environ = {
        "GOLDENPATH_FORGE": "github",
        "GOLDENPATH_FORGE_REPO": REPO,
        "GOLDENPATH_GITHUB_APP_ID": "1",
        "GOLDENPATH_GITHUB_APP_KEY": str(tmp_path / "missing.pem"),
        "GOLDENPATH_GITHUB_INSTALLATION_ID": "2",
    }
    with pytest.raises(SettingsError, match="neither PEM text nor a readable file"):
        ForgeSettings.from_env(environ)


def test_retry_policy_is_a_setting() -> None:
    settings = ForgeSettings(forge="github", token="t", repo=REPO, retry=RetryPolicy(attempts=2))
    assert settings.retry.attempts == 2
