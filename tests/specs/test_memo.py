"""The content memo keeps what runs use, forgets the rest once it is many, hands bases over."""

from __future__ import annotations

from reconciler.specs.memo import MIN_UNUSED, ContentMemo

NS = "things"


def same(value: object) -> object:
    return value


def fill(memo: ContentMemo, count: int) -> list[str]:
    keys = [f"k{i}" for i in range(count)]
    for key in keys:
        memo.put(NS, key, key.upper(), same)
    memo.end_run()
    return keys


def test_a_base_is_handed_over_once() -> None:
    memo = ContentMemo()
    memo.set_base("last-build", "the build")
    assert memo.take_base("last-build") == "the build"
    assert memo.take_base("last-build") is None


def test_entries_carried_over_stay_live_and_dropped_ones_go_once_they_are_many() -> None:
    memo = ContentMemo()
    keys = fill(memo, 2 * MIN_UNUSED)
    dropped = keys[: MIN_UNUSED + 1]
    memo.carry_over(NS, dropped)
    memo.end_run()
    found = memo.fetch(NS, keys, same)
    assert set(found) == set(keys) - set(dropped)


def test_a_few_unused_entries_are_kept_rather_than_swept() -> None:
    memo = ContentMemo()
    keys = fill(memo, 10)
    memo.carry_over(NS, keys[:3])
    memo.end_run()
    assert set(memo.fetch(NS, keys, same)) == set(keys)


def test_entries_no_run_carries_over_are_dropped_once_they_are_many() -> None:
    memo = ContentMemo()
    keys = fill(memo, MIN_UNUSED + 1)
    memo.end_run()  # a run that used nothing of them
    assert memo.fetch(NS, keys, same) == {}


def test_a_second_carry_over_in_one_run_keeps_what_the_first_carried() -> None:
    memo = ContentMemo()
    keys = fill(memo, 2 * MIN_UNUSED)
    memo.carry_over(NS, [])
    memo.carry_over(NS, keys)  # the last run's uses were taken by the first
    memo.end_run()
    assert set(memo.fetch(NS, keys, same)) == set(keys)
