"""Drift as people and scripts see it: the page, the JSON API, /metrics and ``status``."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import FastAPI
from fastapi.testclient import TestClient

from reconciler.apply.conditions import Outcome, summarize
from reconciler.state import DriftReport
from tests.web.conftest import Web
from tests.web.test_metrics import samples
from webhooks.api import status_router

MESSAGE = "template changed outside Goldenpath: modify Queue; not healed: heal is off"


def _drift(web: Web) -> int:
    unit = web.estate.ready
    record = web.store.unit(unit)
    assert record is not None
    outcome = Outcome("drifted", "TemplateChanged", MESSAGE)
    web.store.save_units([summarize(record, outcome, datetime.now(UTC))])
    found, _new = web.store.record_drift(
        DriftReport(unit, "TemplateChanged", MESSAGE, {"stack": "x"}, "sig", "reported")
    )
    return found.id


def test_a_drifted_unit_needs_attention_on_the_overview(web: Web) -> None:
    _drift(web)

    page = web.client.get("/").text

    assert ">drifted</span>" in page
    assert MESSAGE in page  # the attention list explains it by its drift


def test_the_unit_page_lists_its_drift_findings(web: Web) -> None:
    _drift(web)

    page = web.client.get(f"/units/{web.estate.ready}").text

    assert "<h2>Drift</h2>" in page and "TemplateChanged" in page
    assert "Drifted" in page


def test_the_api_lists_open_findings_and_those_after_a_cursor(web: Web) -> None:
    first = _drift(web)

    listed = web.client.get("/api/v1/drift").json()["findings"]
    after = web.client.get(f"/api/v1/drift?after={first}").json()["findings"]
    unit = web.client.get(f"/api/v1/units/{web.estate.ready}").json()

    assert [(f["unit"], f["reason"], f["id"]) for f in listed] == [
        (web.estate.ready, "TemplateChanged", first)
    ]
    assert after == []
    assert unit["drifted"] is True and unit["state"] == "Ready"


def test_metrics_count_drifted_units_and_drift_calls_per_account(web: Web) -> None:
    _drift(web)
    web.store.record_drift(
        DriftReport(web.estate.database, "StackDeleted", "gone", {}, "s", "reported")
    )
    app = FastAPI()
    app.include_router(status_router(web.store, drift_calls=lambda: {"111111111111": 42}))

    with TestClient(app) as client:
        found = samples(client.get("/metrics").text)

    assert found['goldenpath_units_drifted{kind="service",reason="TemplateChanged"}'] == 1
    assert found['goldenpath_units_drifted{kind="service",reason="StackDeleted"}'] == 1
    assert found['goldenpath_units_drifted{kind="environment",reason="StackDeleted"}'] == 0
    assert found['goldenpath_drift_api_calls_total{account="111111111111"}'] == 42
