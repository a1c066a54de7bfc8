"""The per-account limit of operations in flight: units beyond it wait, the loop sleeps."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from reconciler.apply.executor import Executor
from tests.engine.conftest import Build, Harness
from tests.engine.platforms import cycle_platform, write_service

MakeHarness = Callable[[Build], Harness]


def test_units_beyond_the_limit_wait_without_spinning(
    harness: MakeHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = harness(cycle_platform)
    for name in ("menu", "billing", "loyalty", "reviews"):  # independent, all in test
        write_service(made.repo, name, {"test": "test"})
    made.repo.commit("four independent services in test")
    made.settings = replace(made.settings, per_target=1, poll_first=0.05, poll_max=0.05)
    # Each stack stays in progress a while, so the limit is reached and held.
    made.aws.add_fault({"kind": "delay", "seconds": 0.3, "account": made.accounts.test})
    looks: list[str] = []
    original = Executor._readiness

    def counting(self: Executor, unit_id: str, item: object) -> str:
        looks.append(unit_id)
        return original(self, unit_id, item)  # type: ignore[arg-type]

    monkeypatch.setattr(Executor, "_readiness", counting)
    try:
        applied = made.apply()
    finally:
        made.aws.clear_faults()
    assert applied.report.ok
    assert applied.report.count("applied") == len(applied.planned.build.state.units)
    # Each look at a waiting unit happens once per answered call or poll, not in a busy
    # loop: a spinning scheduler looks at them tens of thousands of times. (A poll every
    # 50 ms while stacks take 0.3 s each, one at a time, is a few hundred looks; on a
    # loaded machine the stacks take longer and the polls are more: hence the margin.)
    assert len(looks) < 200 * len(applied.planned.build.state.units), len(looks)
