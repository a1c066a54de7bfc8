"""The write routes in process: a retry is handed to the reconciler, or left for its poll."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi import FastAPI
from starlette.exceptions import StarletteDeprecationWarning

from reconciler.actions import StackInterventions, create_token
from reconciler.cloud import FaultyCloud
from reconciler.events import RetryRequested, SinkFull
from reconciler.state import StateStore
from tests.web.conftest import open_filled
from tests.web.estate import Estate
from webhooks.actions import WriteApi, action_router
from webhooks.settings import ApiSettings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient


@dataclass
class Sink:
    full: bool = False
    got: list[RetryRequested] = field(default_factory=list)

    def put(self, event: RetryRequested) -> None:
        if self.full:
            raise SinkFull("the queue is full")
        self.got.append(event)


@dataclass
class App:
    client: TestClient
    store: StateStore
    estate: Estate
    sink: Sink
    admin: str
    cloud: FaultyCloud


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    store, estate, _clock = open_filled(tmp_path)
    admin = create_token(store, team=None, name="ops", created_by="anna")[0].text
    sink = Sink()
    # No call may reach a cloud here: a retry makes none, refusals come before any.
    cloud = FaultyCloud(None, [])  # type: ignore[arg-type]
    api = WriteApi(store, StackInterventions(store, cloud), sink.put, ApiSettings())
    web = FastAPI()
    web.include_router(action_router(api))
    with store, TestClient(web) as client:
        yield App(client, store, estate, sink, admin, cloud)


def _retry(app: App) -> object:
    return app.client.post(
        f"/api/v1/units/{app.estate.stalled}/retry",
        headers={"Authorization": f"Bearer {app.admin}"},
    )


def test_a_retry_is_handed_to_the_reconciler(app: App) -> None:
    answer = _retry(app)

    assert answer.status_code == 202, answer.text  # type: ignore[attr-defined]
    assert [e.unit_id for e in app.sink.got] == [app.estate.stalled]
    assert app.sink.got[0].actor.startswith("ops (token ")
    assert app.cloud.calls == ()


def test_a_retry_the_busy_reconciler_cannot_take_now_waits_for_its_poll(app: App) -> None:
    app.sink.full = True

    answer = _retry(app)

    assert answer.status_code == 202  # type: ignore[attr-defined]
    assert "the reconciler is busy, it retries at its next poll" in answer.json()["message"]  # type: ignore[attr-defined]
    record = app.store.unit(app.estate.stalled)
    assert record is not None
    reconciling = record.condition("Reconciling")
    assert reconciling is not None and reconciling.reason == "RetryRequested"
