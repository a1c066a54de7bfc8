"""The call budget against the emulator: a pass over many stacks spreads its calls."""

from __future__ import annotations

from reconciler.cloud import AwsCloud
from reconciler.drift.schedule import BURST_WINDOW, MINUTE
from tests.drift.conftest import INTERVAL, MakeWorld

STACKS = 33  # the environment, web, orders-db and 30 more services


def _most_in_window(samples: list[tuple[float, int]], window: float) -> int:
    """The most calls any ``window`` seconds saw, from (time, calls so far) per tick."""
    most = 0
    for i, (start, _total) in enumerate(samples):
        before = samples[i - 1][1] if i else samples[0][1]
        inside = [total for at, total in samples[i:] if at < start + window]
        most = max(most, inside[-1] - before)
    return most


def test_a_pass_over_many_stacks_keeps_each_account_within_its_budget(world: MakeWorld) -> None:
    made = world("{interval: 10m, callsPerMinute: 12}", extra_services=30)
    assert isinstance(made.cloud, AwsCloud)
    cloud, account = made.cloud, made.accounts.test
    samples = [(made.clock.time(), cloud.api_calls_of(account))]

    made.run(2 * INTERVAL, on_tick=lambda now: samples.append((now, cloud.api_calls_of(account))))

    checked = [r for r in made.store.units() if r.condition("Drifted") is not None]
    assert len(checked) == STACKS  # every stack was checked, the last ones late
    assert _most_in_window(samples, MINUTE) <= 12
    assert _most_in_window(samples, BURST_WINDOW) <= 3
    spent = samples[-1][1] - samples[0][1]
    assert spent >= 4 * STACKS  # describe, template, detect, detection status each
    assert made.watch.calls[account] == spent  # the watch counted what the edge sent
