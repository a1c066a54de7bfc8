"""Update pull request settings from the environment: bad values are named at start-up."""

from __future__ import annotations

import pytest

from reconciler.forges import SettingsError
from reconciler.updates import UpdateSettings


def test_defaults_are_on_with_goldenpath_branches() -> None:
    settings = UpdateSettings.from_env({})
    assert settings.enabled
    assert settings.branch("orders") == "goldenpath/update/orders"


def test_they_can_be_turned_off_and_renamed() -> None:
    settings = UpdateSettings.from_env(
        {
            "GOLDENPATH_UPDATE_PRS": "off",
            "GOLDENPATH_UPDATE_BRANCH_PREFIX": "bots/goldenpath-",
            "GOLDENPATH_UPDATE_AUTHOR_EMAIL": "platform-bot@pizza-ananas.example",
        }
    )
    assert not settings.enabled
    assert settings.branch("orders") == "bots/goldenpath-orders"
    assert settings.author_email == "platform-bot@pizza-ananas.example"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"GOLDENPATH_UPDATE_PRS": "maybe"}, "GOLDENPATH_UPDATE_PRS: expected on or off"),
        ({"GOLDENPATH_UPDATE_BRANCH_PREFIX": ""}, "GOLDENPATH_UPDATE_BRANCH_PREFIX: expected"),
        ({"GOLDENPATH_UPDATE_BRANCH_PREFIX": "refs/heads/x/"}, "a branch prefix such as"),
        ({"GOLDENPATH_UPDATE_BRANCH_PREFIX": "a/../b/"}, "a branch prefix such as"),
    ],
)
def test_a_bad_value_names_the_variable(environ: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        UpdateSettings.from_env(environ)
