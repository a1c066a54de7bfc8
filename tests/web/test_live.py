"""The router behind a real uvicorn server on a loopback port, reached with httpx."""

from __future__ import annotations

import httpx

from tests.web.conftest import Live
from tests.web.estate import pull_request_plan


def test_status_over_http_lists_units_and_the_halted_rollout(http: httpx.Client) -> None:
    answer = http.get("/api/v1/status")

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    document = answer.json()
    assert len(document["units"]) == 13
    assert [r["status"] for r in document["rollouts"]] == ["halted"]


def test_the_status_target_url_of_a_change_request_reaches_its_plan(
    http: httpx.Client, live: Live
) -> None:
    # The PR checks post f"{public_url}/plans/{plan_key(event)}" as the statuses' target.
    page = http.get(f"/plans/{live.estate.plan_key}")
    document = http.get(f"/api/v1/plans/{live.estate.plan_key}")

    assert page.status_code == 200
    assert "Add the &lt;reviews&gt; service" in page.text
    assert document.json() == pull_request_plan()


def test_unit_page_over_http_is_html_in_utf8(http: httpx.Client, live: Live) -> None:
    answer = http.get(f"/units/{live.estate.stalled}")

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    assert "outdated → 1.3" in answer.text


def test_writes_over_http_are_refused(http: httpx.Client, live: Live) -> None:
    answer = http.delete(f"/api/v1/units/{live.estate.ready}")

    assert answer.status_code == 405
    assert http.get(f"/api/v1/units/{live.estate.ready}").status_code == 200


def test_healthz_over_http(http: httpx.Client) -> None:
    assert http.get("/healthz").json() == {"status": "ok"}
