"""A filled SQLite state store behind the status router: in process, and on real HTTP.

``web`` serves one store per test through FastAPI's TestClient. ``live`` is a uvicorn
server on a loopback port serving one store for the whole module, for the tests that
must cross a real socket (and for the browser).
"""

from __future__ import annotations

import socket
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from starlette.exceptions import StarletteDeprecationWarning

from reconciler.state import StateStore
from tests.web.estate import Estate, SteppingClock, fill
from webhooks.api import status_router
from webhooks.views import ViewSettings

START_TIMEOUT_S = 10.0
START_POLL_S = 0.01
ORDER = ViewSettings(environment_order=("test", "staging", "production"))

with warnings.catch_warnings():
    # Starlette warns that its TestClient will move to another package; it still works.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient


@dataclass
class Web:
    """An app over a filled store, and a client that calls it in process."""

    store: StateStore
    estate: Estate
    clock: SteppingClock
    client: TestClient


def status_app(store: StateStore, settings: ViewSettings = ORDER) -> FastAPI:
    app = FastAPI()
    app.include_router(status_router(store, settings))
    return app


def open_filled(path: Path) -> tuple[StateStore, Estate, SteppingClock]:
    clock = SteppingClock()
    store = StateStore.open(f"sqlite:///{path / 'state.db'}", clock=clock)
    return store, fill(store, clock), clock


@pytest.fixture
def web(tmp_path: Path) -> Iterator[Web]:
    store, estate, clock = open_filled(tmp_path)
    with store, TestClient(status_app(store)) as client:
        yield Web(store, estate, clock, client)


@dataclass(frozen=True)
class Live:
    url: str
    estate: Estate


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    store, estate, _clock = open_filled(tmp_path_factory.mktemp("live"))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(status_app(store), log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    started = threading.Event()
    for _ in range(int(START_TIMEOUT_S / START_POLL_S)):
        if server.started:
            break
        started.wait(START_POLL_S)
    assert server.started, "uvicorn did not start within the timeout"
    try:
        yield Live(f"http://127.0.0.1:{port}", estate)
    finally:
        server.should_exit = True
        thread.join(timeout=START_TIMEOUT_S)
        sock.close()
        store.close()


@pytest.fixture
def http(live: Live) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, timeout=10) as client:
        yield client
