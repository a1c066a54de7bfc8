"""GOLDENPATH_API_READ_TOKEN_REQUIRED closes reading; probes and scrapers stay open."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from starlette.exceptions import StarletteDeprecationWarning

from reconciler.actions import create_token
from reconciler.forges.errors import SettingsError
from tests.web.conftest import ORDER, open_filled
from webhooks.api import status_router
from webhooks.settings import ApiSettings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient


@pytest.fixture
def closed(tmp_path: Path) -> Iterator[tuple[TestClient, str, str]]:
    store, estate, _clock = open_filled(tmp_path)
    token = create_token(store, team="payments", name="reader", created_by="anna")[0].text
    app = FastAPI()
    app.include_router(status_router(store, ORDER, access=ApiSettings(read_token_required=True)))
    with store, TestClient(app) as client:
        yield client, token, estate.ready


def test_reading_without_a_token_is_refused_when_required(
    closed: tuple[TestClient, str, str],
) -> None:
    client, _token, unit = closed

    views = ("history", "events", "template", "diff", "graph")
    for path in (
        "/api/v1/status",
        f"/api/v1/units/{unit}",
        *(f"/api/v1/units/{unit}/{v}" for v in views),
        "/api/v1/drift",
        "/api/v1/drift?after=0",
        "/api/v1/notifications",
    ):
        answer = client.get(path)
        assert answer.status_code == 401, path
        assert answer.json()["error"] == "unauthenticated"
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    page = client.get(f"/units/{unit}")
    assert page.status_code == 401 and "Token required" in page.text
    assert client.get("/").status_code == 401


def test_any_valid_token_reads_and_probes_stay_open(closed: tuple[TestClient, str, str]) -> None:
    client, token, unit = closed
    bearer = {"Authorization": f"Bearer {token}"}

    assert client.get("/api/v1/status", headers=bearer).status_code == 200
    assert client.get("/api/v1/drift", headers=bearer).status_code == 200
    assert client.get(f"/units/{unit}", headers=bearer).status_code == 200  # any team's token
    assert client.get("/healthz").status_code == 200
    assert client.get("/metrics").status_code == 200
    assert client.get("/api/v1/status", headers={"Authorization": "Bearer gp_x"}).status_code == 401


@pytest.mark.parametrize(
    ("value", "required"), [(None, False), ("", False), ("false", False), ("0", False),
                            ("true", True), ("YES", True), ("1", True)]
)  # fmt: skip
def test_the_setting_reads_true_or_false(value: str | None, required: bool) -> None:
    environ = {} if value is None else {"GOLDENPATH_API_READ_TOKEN_REQUIRED": value}

    assert ApiSettings.from_env(environ).read_token_required is required


def test_a_setting_that_is_neither_true_nor_false_is_refused() -> None:
    with pytest.raises(SettingsError, match="GOLDENPATH_API_READ_TOKEN_REQUIRED: expected true"):
        ApiSettings.from_env({"GOLDENPATH_API_READ_TOKEN_REQUIRED": "maybe"})
