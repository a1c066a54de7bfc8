"""Fixtures of the engine tests: one emulator over HTTP, a state store and a repo per test.

The emulator runs in this process on a loopback port (``emulator.start_embedded``) and
is reached only over HTTP: by the engine through ``AwsCloud`` (boto3, STS AssumeRole per
account), and by the tests through plain boto3 clients (``Aws``). Each test works in
accounts of its own (``fresh_accounts``), so tests sharing the emulator never see each
other's stacks, and faults never outlive the test that injected them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import emulator
from emulator.server import EmbeddedEmulator
from reconciler.apply.engine import Applied, Reconciler
from reconciler.apply.executor import ApplySettings
from reconciler.cloud import AccessKey, AwsCloud, Cloud, CloudSettings, WaitSchedule
from reconciler.plan.planning import Planned
from reconciler.render import Linter
from reconciler.source.git import GitSource
from reconciler.source.snapshot import Snapshot
from reconciler.state import StateStore
from tests.engine.aws import Aws
from tests.engine.platforms import Accounts, fresh_accounts
from tests.support.platform_repo import PlatformRepo

EMULATOR_KEY = AccessKey("testing", "testing")
# The emulator settles a small stack in well under a second: poll it often.
FAST_APPLY = ApplySettings(poll_first=0.02, poll_max=0.2)
FAST_WAIT = WaitSchedule(first_interval=0.05, max_interval=0.2, timeout=60.0)


def emulator_cloud(url: str) -> AwsCloud:
    """The engine's cloud edge against the emulator, polling at emulator speed."""
    return AwsCloud(
        CloudSettings(
            endpoint_url=url,
            access_key=EMULATOR_KEY,
            wait=FAST_WAIT,
            change_set_poll_interval=0.05,
        )
    )


@pytest.fixture(scope="session")
def embedded() -> Iterator[EmbeddedEmulator]:
    with emulator.start_embedded() as running:
        yield running


@pytest.fixture
def aws(embedded: EmbeddedEmulator) -> Iterator[Aws]:
    view = Aws(embedded.url)
    yield view
    view.clear_faults()


@pytest.fixture
def accounts() -> Accounts:
    return fresh_accounts()


@dataclass
class Harness:
    """A platform repo, its state store and the engine, against the shared emulator."""

    repo: PlatformRepo
    store: StateStore
    cloud: AwsCloud
    aws: Aws
    accounts: Accounts
    settings: ApplySettings = FAST_APPLY
    linter: Linter | None = None  # the cfn-lint gate; off unless a test turns it on
    engines: list[Reconciler] = field(default_factory=list)

    def engine(self, cloud: Cloud | None = None, **options: object) -> Reconciler:
        made = Reconciler(
            self.store,
            cloud or self.cloud,
            settings=self.settings,
            linter=self.linter,
            **options,  # type: ignore[arg-type]
        )
        self.engines.append(made)
        return made

    def snapshot(self, ref: str = "HEAD") -> Snapshot:
        return GitSource.open(self.repo.root).snapshot(ref)

    def apply(self, cloud: Cloud | None = None) -> Applied:
        return self.engine(cloud).apply(self.snapshot())

    def plan(self, *, refresh: bool = False, preview: bool = False) -> Planned:
        return self.engine().plan(self.snapshot(), refresh=refresh, preview=preview)

    def stack(self, unit_id: str) -> dict[str, object]:
        """The live stack of a recorded unit, as CloudFormation describes it."""
        record = self.store.unit(unit_id)
        assert record is not None, f"{unit_id} is not recorded"
        stacks = self.aws.stacks(record.account)
        assert record.stack_name in stacks, f"{record.stack_name} is not in {record.account}"
        return stacks[record.stack_name]


Build = Callable[[Path, Accounts], PlatformRepo]


@pytest.fixture
def harness(tmp_path: Path, aws: Aws, accounts: Accounts) -> Iterator[Callable[[Build], Harness]]:
    """``harness(build)``: the repo ``build`` makes, a fresh SQLite state, the engine."""
    stores: list[StateStore] = []

    def make(build: Build) -> Harness:
        repo = build(tmp_path / "platform", accounts)
        store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")
        stores.append(store)
        return Harness(repo, store, emulator_cloud(aws.url), aws, accounts)

    yield make
    for store in stores:
        store.close()


@dataclass
class FakeClock:
    """The engine's clock in retry tests: ``sleep`` records the pause and returns at once."""

    now_s: float = 1_900_000_000.0
    sleeps: list[float] = field(default_factory=list)

    def now(self) -> float:
        return self.now_s

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now_s += seconds
