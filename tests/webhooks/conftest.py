"""A real uvicorn server on loopback for the receiver tests, and signed deliveries.

One server runs per test session; each test installs its own app (its own settings,
queue and delivery log) behind it, so tests stay independent without paying for a
server start each.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from reconciler.events import EventQueue
from tests.fakes import deliveries
from webhooks.deliveries import RecentDeliveries
from webhooks.receiver import create_app
from webhooks.settings import ReceiverSettings, WebhookSecrets

SECRET = "It's a Secret to Everybody"
START_TIMEOUT_S = 10.0


class SwitchableApp:
    """An ASGI app that forwards to whichever app the current test installed."""

    def __init__(self) -> None:
        self.app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


@dataclass
class LiveReceiver:
    """The receiver under test, reached over real HTTP."""

    url: str
    switch: SwitchableApp
    client: httpx.Client
    queue: EventQueue = field(default_factory=lambda: EventQueue(100))
    deliveries: RecentDeliveries = field(default_factory=lambda: RecentDeliveries(1000))

    def install(self, settings: ReceiverSettings, queue: EventQueue | None = None) -> LiveReceiver:
        self.queue = queue if queue is not None else EventQueue(100)
        self.deliveries = RecentDeliveries(1000)
        self.switch.app = create_app(settings, self.queue, self.deliveries)
        return self

    def post(
        self, forge: str, body: bytes, headers: Mapping[str, str], **kwargs: Any
    ) -> httpx.Response:
        return self.client.post(
            f"{self.url}/webhooks/{forge}", content=body, headers=dict(headers), **kwargs
        )

    def drain(self) -> list[object]:
        events: list[object] = []
        while (event := self.queue.get(timeout=0)) is not None:
            events.append(event)
        return events


@pytest.fixture(scope="session")
def _server() -> Iterator[tuple[str, SwitchableApp]]:
    switch = SwitchableApp()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(switch, log_level="warning", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    ready = threading.Event()
    for _ in range(int(START_TIMEOUT_S * 100)):
        if server.started:
            ready.set()
            break
        ready.wait(0.01)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}", switch
    server.should_exit = True
    thread.join(timeout=START_TIMEOUT_S)
    sock.close()


@pytest.fixture
def receiver(_server: tuple[str, SwitchableApp]) -> Iterator[LiveReceiver]:
    url, switch = _server
    with httpx.Client(timeout=10) as client:
        live = LiveReceiver(url=url, switch=switch, client=client)
        yield live.install(settings(branch="master"))


def settings(branch: str = "master", **kwargs: Any) -> ReceiverSettings:
    kwargs.setdefault("secrets", WebhookSecrets(default=SECRET))
    return ReceiverSettings(branch=branch, **kwargs)


def load(payloads: Path, name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((payloads / name).read_text())
    return document


def github_headers(
    event: str, body: bytes, secret: str | None = SECRET, delivery: str | None = None
) -> dict[str, str]:
    return deliveries.github_headers(event, body, secret, delivery)


def gitlab_headers(
    event: str, token: str | None = SECRET, delivery: str | None = None
) -> dict[str, str]:
    return deliveries.gitlab_headers(event, token, delivery)


def encode(document: object) -> bytes:
    return json.dumps(document).encode()
