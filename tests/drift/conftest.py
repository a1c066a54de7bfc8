"""Fixtures of the drift tests: the emulator over HTTP, a real git repo and state store,
and ``serve``'s reconcile loop with its drift watch on a fake clock.

The loop object is the one ``serve`` runs (``ReconcileLoop``), driven by hand: a test
applies the head once, changes the cloud behind Goldenpath's back with plain boto3 or the
emulator's admin API, then lets fake time pass, calling ``watch_drift`` as the loop does
between its items. Nothing sleeps. Each test works in accounts of its own.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

import emulator
from emulator.server import EmbeddedEmulator
from reconciler.apply.engine import Reconciler
from reconciler.checks.runner import ChangeChecks
from reconciler.cloud import AwsCloud, Cloud
from reconciler.drift import DriftTuning, DriftWatch
from reconciler.events import EventQueue
from reconciler.loop import ReconcileLoop
from reconciler.render import Renderer
from reconciler.source.tracked import TrackedRepo
from reconciler.specs.memo import ContentMemo
from reconciler.state import Condition, StateStore
from tests.engine.aws import Aws
from tests.engine.conftest import FAST_APPLY, emulator_cloud
from tests.engine.platforms import (
    Accounts,
    write_data_template,
    write_engine_svc_template,
    write_service,
)
from tests.fakes.clock import FakeClock
from tests.support.platform_repo import (
    PlatformRepo,
    write_env_template,
    write_environment,
    write_teams,
)

# Distinct from the other areas' account ranges (100…, 210…, 310…, 410…), and per process.
_accounts = itertools.count(510_000_000_000 + (os.getpid() % 10_000) * 10_000 + 1)
TICK = 5.0  # seconds of fake time between two calls of watch_drift
INTERVAL = 600.0  # the drift interval the tests' goldenpath.yaml sets (10m)
# What one detection adds to "within one interval": the slot is met within a tick, and
# CloudFormation's detection is asked about one poll later.
DETECTION_SLACK = TICK + DriftTuning().detection_poll


def fresh_accounts() -> Accounts:
    return Accounts(*(str(next(_accounts)) for _ in range(4)))


def drift_platform(
    root: Path, accounts: Accounts, drift: str, extra_services: int = 0
) -> PlatformRepo:
    """One environment; web (plain) and orders-db (a data template), each in test; and
    ``extra_services`` more plain ones (svc-0, svc-1 …)."""
    repo = PlatformRepo(root)
    write_env_template(repo)
    write_engine_svc_template(repo)
    write_data_template(repo)
    repo.write(
        "goldenpath.yaml",
        f"""
apiVersion: goldenpath.dev/v1
kind: Platform
metadata: {{name: drift-tests}}
spec:
  region: us-west-2
  data_templates: [orders-db]
  drift: {drift}
""",
    )
    write_environment(repo, "test", accounts.test)
    write_teams(repo)
    write_service(repo, "web", {"test": "test"})
    write_service(repo, "orders-db", {"test": "test"}, template="orders-db")
    for n in range(extra_services):
        write_service(repo, f"svc-{n}", {"test": "test"})
    repo.commit("web and orders-db in test")
    return repo


@dataclass
class World:
    """A platform repo applied by serve's loop; the cloud changed behind its back."""

    repo: PlatformRepo
    store: StateStore
    cloud: Cloud
    aws: Aws
    accounts: Accounts
    clock: FakeClock
    loop: ReconcileLoop
    watch: DriftWatch

    def run(self, seconds: float, on_tick: Callable[[float], None] | None = None) -> None:
        """Let ``seconds`` of fake time pass, the loop watching drift at every tick."""
        end = self.clock.time() + seconds
        while self.clock.time() < end:
            self.clock.advance(TICK)
            self.loop.watch_drift()
            if on_tick is not None:
                on_tick(self.clock.time())

    def condition(self, unit_id: str, type_: str) -> Condition | None:
        record = self.store.unit(unit_id)
        assert record is not None, f"{unit_id} is not recorded"
        return record.condition(type_)  # type: ignore[arg-type]

    def stack_name(self, unit_id: str) -> str:
        record = self.store.unit(unit_id)
        assert record is not None
        return record.stack_name

    def cfn(self) -> Any:
        return self.aws.client("cloudformation", self.accounts.test)

    def live_template(self, unit_id: str) -> str:
        return self.aws.template(self.accounts.test, self.stack_name(unit_id))

    def update_by_hand(self, unit_id: str, old: str, new: str) -> None:
        """Another client's UpdateStack: the same template with ``old`` replaced."""
        name = self.stack_name(unit_id)
        body = self.live_template(unit_id)
        assert old in body, body
        cfn = self.cfn()
        cfn.update_stack(StackName=name, TemplateBody=body.replace(old, new))
        cfn.get_waiter("stack_update_complete").wait(StackName=name, WaiterConfig={"Delay": 1})

    def delete_by_hand(self, unit_id: str) -> None:
        name = self.stack_name(unit_id)
        cfn = self.cfn()
        cfn.delete_stack(StackName=name)
        cfn.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig={"Delay": 1})

    def declare_drift(self, unit_id: str, logical_id: str, path: str = "/DelaySeconds") -> None:
        """Tell the emulator a resource changed outside CloudFormation (its admin API)."""
        answer = httpx.post(
            f"{self.aws.url}/_goldenpath/drift",
            json={
                "stackName": self.stack_name(unit_id),
                "account": self.accounts.test,
                "logicalResourceId": logical_id,
                "differences": [{"PropertyPath": path, "ExpectedValue": "1", "ActualValue": "9"}],
            },
        )
        assert answer.status_code == 201, answer.text


@pytest.fixture(scope="session")
def embedded() -> Iterator[EmbeddedEmulator]:
    with emulator.start_embedded() as running:
        yield running


@pytest.fixture
def aws(embedded: EmbeddedEmulator) -> Aws:
    return Aws(embedded.url)


MakeWorld = Callable[..., World]


@pytest.fixture
def world(tmp_path: Path, aws: Aws) -> Iterator[MakeWorld]:
    """``world(drift, wrap=None, extra_services=0)``: the repo applied once (through
    ``wrap(cloud)`` when given), the drift watch started."""
    stores: list[StateStore] = []

    def make(
        drift: str, wrap: Callable[[AwsCloud], Cloud] | None = None, extra_services: int = 0
    ) -> World:
        accounts = fresh_accounts()
        repo = drift_platform(tmp_path / "platform", accounts, drift, extra_services)
        store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")
        stores.append(store)
        edge = emulator_cloud(aws.url)
        cloud: Cloud = wrap(edge) if wrap is not None else edge
        clock = FakeClock()
        tracked = TrackedRepo.open(str(repo.root), "main", tmp_path / "cache")
        renderer = Renderer()
        engine = Reconciler(
            store, cloud, renderer=renderer, settings=FAST_APPLY, memo=ContentMemo()
        )
        checks = ChangeChecks(
            tracked, store, None, renderer=renderer, linter=None, public_url="http://test"
        )
        loop = ReconcileLoop(tracked, store, engine, checks, None, EventQueue(100))
        watch = DriftWatch(
            store, cloud, loop.applied_head_plan, holder=engine.holder, clock=clock.time
        )
        loop.drift = watch
        applied = loop.reconcile("start")
        assert applied is not None and applied.report.ok, applied
        loop.watch_drift()  # the first tick: the schedule starts now
        return World(repo, store, cloud, aws, accounts, clock, loop, watch)

    yield make
    for store in stores:
        store.close()
