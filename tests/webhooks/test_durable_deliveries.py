"""The delivery log of ``goldenpath serve``: durable before 202, cheap in bursts (issue 12).

The receiver runs as the product wires it (``goldenpath.server.build_app`` with
:class:`DurableDeliveries` over a real state store), behind the live uvicorn server, on
SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from goldenpath.server import build_app
from reconciler.errors import StateError
from reconciler.events import EventQueue
from reconciler.state import StateStore
from tests.fakes.deliveries import github_push
from tests.state.conftest import postgres_database, state_url  # noqa: F401  (fixtures)
from tests.webhooks.conftest import SECRET, LiveReceiver
from webhooks.deliveries import DurableDeliveries

ENVIRON = {"GOLDENPATH_WEBHOOK_SECRET": SECRET, "GOLDENPATH_BRANCH": "main"}
HEAD = "b" * 40


class HeldStore:
    """A state store whose delivery writes wait while the test holds them."""

    def __init__(self, store: StateStore) -> None:
        self.store = store
        self.open = threading.Event()
        self.open.set()
        self.writing = threading.Event()
        self.batches: list[list[str]] = []

    def claim_deliveries(self, delivery_ids: Sequence[str]) -> set[str]:
        self.writing.set()
        assert self.open.wait(30), "the test never let the write go"
        self.batches.append(list(delivery_ids))
        return self.store.claim_deliveries(delivery_ids)

    def forget_deliveries(self, delivery_ids: Sequence[str]) -> int:
        return self.store.forget_deliveries(delivery_ids)


class Product:
    """The product's HTTP app on a state store, installed behind the live server."""

    def __init__(self, receiver: LiveReceiver, store: StateStore, held: bool = False) -> None:
        self.receiver = receiver
        self.store = store
        self.held = HeldStore(store)
        self.queue = EventQueue(1000)
        self.deliveries = DurableDeliveries(self.held if held else store)
        receiver.switch.app = build_app(store, self.queue, self.deliveries, ENVIRON)

    def push(self, payloads: Path, delivery: str) -> httpx.Response:
        body, headers = github_push(
            payloads,
            SECRET,
            repo="acme/platform",
            branch="main",
            before="a" * 40,
            after=HEAD,
            pusher="anna",
        )
        return self.receiver.post("github", body, headers | {"X-GitHub-Delivery": delivery})

    def close(self) -> None:
        self.deliveries.close()


@pytest.fixture
def opened(state_url: str) -> Iterator[Callable[[], StateStore]]:  # noqa: F811
    stores: list[StateStore] = []

    def _open() -> StateStore:
        stores.append(StateStore.open(state_url))
        return stores[-1]

    yield _open
    for store in stores:
        store.close()


def test_a_duplicate_delivery_is_refused_after_a_restart(
    receiver: LiveReceiver, payloads: Path, opened: Callable[[], StateStore]
) -> None:
    before = Product(receiver, opened())
    assert before.push(payloads, "d-1").status_code == 202
    before.close()
    before.store.close()
    after = Product(receiver, opened())
    again = after.push(payloads, "d-1")
    assert (again.status_code, again.json()["verdict"]) == (200, "duplicate")
    assert after.push(payloads, "d-2").status_code == 202
    after.close()


def test_202_comes_only_once_the_delivery_id_is_committed(
    receiver: LiveReceiver, payloads: Path, opened: Callable[[], StateStore]
) -> None:
    product = Product(receiver, opened(), held=True)
    product.held.open.clear()
    with ThreadPoolExecutor(1) as pool:
        answer = pool.submit(product.push, payloads, "d-held")
        assert product.held.writing.wait(10)
        assert not answer.done()  # the id is not written, so there is no answer yet
        assert product.queue.waiting() == 0
        product.held.open.set()
        assert answer.result(timeout=30).status_code == 202
    # Committed: another store on the same database (another replica) sees the id.
    assert opened().claim_delivery("github:d-held") is False
    product.close()


def test_deliveries_arriving_together_are_recorded_in_one_transaction(
    receiver: LiveReceiver, payloads: Path, opened: Callable[[], StateStore]
) -> None:
    product = Product(receiver, opened(), held=True)
    product.held.open.clear()
    with ThreadPoolExecutor(40) as pool:
        first = pool.submit(product.push, payloads, "first")
        assert product.held.writing.wait(10)
        rest = [pool.submit(product.push, payloads, f"d-{n}") for n in range(39)]
        deadline = threading.Event()
        while product.deliveries.waiting() < len(rest) and not deadline.wait(0.01):
            pass
        product.held.open.set()
        answers = [first.result(30), *(f.result(30) for f in rest)]
    assert [a.status_code for a in answers] == [202] * 40
    assert [len(batch) for batch in product.held.batches] == [1, 39]
    product.close()


def test_replicas_sharing_a_store_take_each_delivery_once(
    opened: Callable[[], StateStore],
) -> None:
    replicas = [DurableDeliveries(opened()), DurableDeliveries(opened())]

    async def deliver_everywhere() -> list[bool]:
        asks = [r.first_time(f"github:d-{n}") for n in range(100) for r in replicas]
        return list(await asyncio.gather(*asks))

    taken = asyncio.run(deliver_everywhere())
    for replica in replicas:
        replica.close()
    assert [sum(taken[n * 2 : n * 2 + 2]) for n in range(100)] == [1] * 100


def test_the_same_id_twice_in_one_batch_is_taken_once(opened: Callable[[], StateStore]) -> None:
    deliveries = DurableDeliveries(opened())

    async def twice() -> list[bool]:
        return list(await asyncio.gather(*(deliveries.first_time("github:x") for _ in range(2))))

    assert sorted(asyncio.run(twice())) == [False, True]
    deliveries.close()


class FailingStore:
    def claim_deliveries(self, delivery_ids: Sequence[str]) -> set[str]:
        raise StateError("state store sqlite:///x: recording deliveries failed: disk I/O error")

    def forget_deliveries(self, delivery_ids: Sequence[str]) -> int:
        raise AssertionError("nothing was claimed")


def test_a_failing_delivery_log_is_503_and_nothing_is_queued(
    receiver: LiveReceiver, payloads: Path, opened: Callable[[], StateStore]
) -> None:
    product = Product(receiver, opened())
    product.deliveries.close()
    product.deliveries = DurableDeliveries(FailingStore())
    receiver.switch.app = build_app(product.store, product.queue, product.deliveries, ENVIRON)
    answer = product.push(payloads, "d-1")
    assert answer.status_code == 503
    assert answer.json()["reason"] == "the delivery log could not be written; redeliver later"
    assert "sqlite" not in answer.text  # the store's details stay in our log
    assert product.queue.waiting() == 0
    product.close()


def test_a_closed_delivery_log_is_503(
    receiver: LiveReceiver, payloads: Path, opened: Callable[[], StateStore]
) -> None:
    product = Product(receiver, opened())
    product.close()
    answer = product.push(payloads, "d-1")
    assert answer.status_code == 503
    assert "closed" in answer.json()["reason"]


def test_two_writers_take_each_delivery_once(opened: Callable[[], StateStore]) -> None:
    deliveries = DurableDeliveries(opened(), writers=2)

    async def ask() -> list[bool]:
        return list(
            await asyncio.gather(*(deliveries.first_time(f"d-{n % 50}") for n in range(200)))
        )

    taken = asyncio.run(ask())
    deliveries.close()
    assert sum(taken) == 50
    assert deliveries.recorded == 50
