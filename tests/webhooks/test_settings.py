"""ReceiverSettings read from GOLDENPATH_* variables, and the clear errors for bad ones."""

from __future__ import annotations

import pytest

from reconciler.forges.errors import SettingsError
from webhooks.settings import ListenAddress, ReceiverSettings, WebhookSecrets


def test_defaults_listen_on_loopback_8080_tracking_main_without_secrets() -> None:
    settings = ReceiverSettings.from_env({})
    assert str(settings.listen) == "127.0.0.1:8080"
    assert settings.branch == "main"
    assert not settings.secrets.configured


def test_secrets_and_branch_are_read_from_the_environment() -> None:
    settings = ReceiverSettings.from_env(
        {
            "GOLDENPATH_WEBHOOK_SECRET": "default-secret",
            "GOLDENPATH_WEBHOOK_SECRETS": '{"Team/Repo": "repo-secret"}',
            "GOLDENPATH_BRANCH": "trunk",
            "GOLDENPATH_LISTEN": "[::1]:9000",
        }
    )
    assert settings.secrets.for_repo("team/repo") == "repo-secret"
    assert settings.secrets.for_repo("other/repo") == "default-secret"
    assert settings.branch == "trunk"
    assert (settings.listen.host, settings.listen.port) == ("::1", 9000)


def test_repr_never_shows_a_secret() -> None:
    settings = ReceiverSettings.from_env(
        {"GOLDENPATH_WEBHOOK_SECRET": "hunter2", "GOLDENPATH_WEBHOOK_SECRETS": '{"a/b": "pw9"}'}
    )
    assert "hunter2" not in repr(settings)
    assert "pw9" not in repr(settings)


def test_empty_secret_is_an_error_not_skipped_verification() -> None:
    with pytest.raises(SettingsError, match="GOLDENPATH_WEBHOOK_SECRET is set but empty"):
        ReceiverSettings.from_env({"GOLDENPATH_WEBHOOK_SECRET": "  "})


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('{"a/b": "s",', "not JSON at line 1 column 13"),
        ('["a/b"]', "got a JSON list"),
        ('{"repo": "s"}', "key 'repo' is not a repository path"),
        ('{"a/b": ""}', "the secret for 'a/b' must be a non-empty string"),
        ('{"a/b": 7}', "the secret for 'a/b' must be a non-empty string"),
    ],
)
def test_malformed_per_repo_secrets_name_the_variable_and_problem(value: str, message: str) -> None:
    with pytest.raises(SettingsError, match="GOLDENPATH_WEBHOOK_SECRETS") as caught:
        ReceiverSettings.from_env({"GOLDENPATH_WEBHOOK_SECRETS": value})
    assert message in str(caught.value)


def test_malformed_json_error_does_not_echo_the_secret() -> None:
    with pytest.raises(SettingsError) as caught:
        ReceiverSettings.from_env({"GOLDENPATH_WEBHOOK_SECRETS": '{"a/b": "topsecret"'})
    assert "topsecret" not in str(caught.value)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("8080", "expected host:port"),
        ("localhost:http", "port must be 1-65535"),
        ("localhost:70000", "port must be 1-65535"),
    ],
)
def test_bad_listen_address_names_the_variable(value: str, message: str) -> None:
    with pytest.raises(SettingsError, match="GOLDENPATH_LISTEN") as caught:
        ListenAddress.parse(value)
    assert message in str(caught.value)


def test_branch_must_be_a_name_not_a_ref() -> None:
    with pytest.raises(SettingsError, match="GOLDENPATH_BRANCH"):
        ReceiverSettings.from_env({"GOLDENPATH_BRANCH": "refs/heads/main"})


def test_secret_lookup_falls_back_to_default_and_then_refuses() -> None:
    assert WebhookSecrets(default="d").for_repo(None) == "d"
    assert WebhookSecrets(per_repo={"a/b": "s"}).for_repo("c/d") is None
