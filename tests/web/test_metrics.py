"""/metrics: gauges in the Prometheus text format, zeros included, labels escaped."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from reconciler.errors import StateError
from reconciler.state import Rollout
from tests.web.conftest import Web
from webhooks.api import RecentMetrics, status_router
from webhooks.views import ViewSettings

SAMPLE = re.compile(r"^([a-z_]+)(?:\{(.*)\})? (\S+)$")


def samples(text: str) -> dict[str, float]:
    """``name{labels}`` → value, for every sample line; fails on any malformed line."""
    found: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("#"):
            assert re.match(r"^# (HELP|TYPE) [a-z_]+ ", line), line
            continue
        match = SAMPLE.match(line)
        assert match, f"not a sample line: {line!r}"
        name, labels, value = match.groups()
        found[f"{name}{{{labels}}}" if labels else name] = float(value)
    return found


def test_metrics_answer_in_the_prometheus_text_format(web: Web) -> None:
    answer = web.client.get("/metrics")

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert "# TYPE goldenpath_units gauge" in answer.text
    assert samples(answer.text)


def test_metrics_count_units_by_kind_and_state(web: Web) -> None:
    found = samples(web.client.get("/metrics").text)

    assert found['goldenpath_units{kind="service",state="Ready"}'] == 5
    assert found['goldenpath_units{kind="service",state="Stalled"}'] == 1
    assert found['goldenpath_units{kind="service",state="Reconciling"}'] == 2
    assert found['goldenpath_units{kind="environment",state="Ready"}'] == 3
    assert found['goldenpath_units{kind="pipeline",state="Ready"}'] == 1
    assert found['goldenpath_units{kind="component",state="Ready"}'] == 1


def test_metrics_write_zero_for_states_no_unit_is_in(web: Web) -> None:
    found = samples(web.client.get("/metrics").text)

    assert found['goldenpath_units{kind="environment",state="Stalled"}'] == 0
    assert found['goldenpath_rollouts{status="complete"}'] == 0
    assert found['goldenpath_unit_last_deployments{status="CANCELLED"}'] == 0


def test_metrics_count_outdated_units_by_template(web: Web) -> None:
    found = samples(web.client.get("/metrics").text)

    assert found['goldenpath_units_outdated{template="pizza-env"}'] == 1
    assert found['goldenpath_units_outdated{template="public-web-svc"}'] == 1


def test_metrics_count_latest_deployments_of_recorded_units(web: Web) -> None:
    found = samples(web.client.get("/metrics").text)

    assert found['goldenpath_unit_last_deployments{status="SUCCEEDED"}'] == 1
    assert found['goldenpath_unit_last_deployments{status="FAILED"}'] == 1
    assert found['goldenpath_unit_last_deployments{status="IN_PROGRESS"}'] == 1
    # The deleted unit is no longer recorded: its DELETE_COMPLETE is history, not state.
    assert found['goldenpath_unit_last_deployments{status="DELETE_COMPLETE"}'] == 0


def test_metrics_count_rollouts_by_status(web: Web) -> None:
    found = samples(web.client.get("/metrics").text)

    assert found['goldenpath_rollouts{status="halted"}'] == 1
    assert found['goldenpath_rollouts{status="running"}'] == 0


def test_metrics_escape_quotes_and_backslashes_in_label_values(web: Web) -> None:
    record = web.store.unit(web.estate.outdated)
    assert record is not None
    web.store.save_units([replace(record, template='odd"name\\v')])
    web.store.cache_put("recommended-version", 'odd"name\\v', "9.0")

    text = web.client.get("/metrics").text

    assert 'goldenpath_units_outdated{template="odd\\"name\\\\v"} 1' in text
    assert samples(text)


def test_metrics_are_503_when_the_store_fails(web: Web, tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "state.db") as connection:
        connection.execute("DROP TABLE units")

    answer = web.client.get("/metrics")

    assert answer.status_code == 503
    assert answer.text.startswith("# state store unavailable")


def test_metrics_are_reused_while_young_and_read_again_once_old(web: Web) -> None:
    now = [0.0]
    settings = ViewSettings(metrics_max_age_s=15.0)
    app = FastAPI()
    app.include_router(status_router(web.store, settings, monotonic=lambda: now[0]))
    running = 'goldenpath_rollouts{status="running"}'
    with TestClient(app) as client:
        first = samples(client.get("/metrics").text)
        web.store.save_rollout(
            Rollout.begin("pizza-env", 1, "1.1", "1.2", [["test"]], web.clock.now())
        )
        now[0] = 14.9
        young = samples(client.get("/metrics").text)
        now[0] = 15.0
        old = samples(client.get("/metrics").text)

    assert (first[running], young[running], old[running]) == (0, 0, 1)


def test_a_failed_metrics_reading_is_not_kept() -> None:
    readings: Iterator[str | StateError] = iter(
        [StateError("database is locked"), "goldenpath_units 1\n"]
    )

    def read() -> str:
        reading = next(readings)
        if isinstance(reading, Exception):
            raise reading
        return reading

    figures = RecentMetrics(read, max_age_s=15.0, monotonic=lambda: 0.0)

    with pytest.raises(StateError):
        figures.text()
    assert figures.text() == "goldenpath_units 1\n"
