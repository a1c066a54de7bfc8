"""``apply`` lints behind the engine: the pool works through the queue, the gate waits
only for the body it is about to deploy, and a result the pool cannot give is linted
in the engine's own process."""

from __future__ import annotations

from typing import Any

from goldenpath.workspace import AwaitingLintCache, LintPool
from reconciler.render import Linter, MemoryLintCache

BROKEN = "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties: {DelaySeconds: soon}\n"


def _topic(i: int) -> str:
    return f"Resources:\n  T{i}: {{Type: 'AWS::SNS::Topic'}}\n"


def _job(body: str) -> tuple[str, tuple[str, ...], str, str]:
    return (body, (), "us-east-1", "t.yaml")


def test_the_gate_gets_each_queued_result_from_the_pool() -> None:
    cache = AwaitingLintCache(MemoryLintCache())
    linter = Linter(cache)
    bodies = [_topic(i) for i in range(3)] + [BROKEN]
    with LintPool(2) as pool:
        assert pool.lint_behind(cache, [_job(b) for b in [*bodies, bodies[0]]]) == 4
        assert pool.lint_behind(cache, [_job(b) for b in bodies]) == 0  # queued already
        reports = [linter.lint(b, file="t.yaml", regions=("us-east-1",)) for b in bodies]
    assert [r.ok for r in reports] == [True, True, True, False]
    assert reports[3].errors[0].message.startswith("E3012")
    assert linter.runs == 0  # every answer came from the pool


def test_a_body_that_was_not_queued_is_linted_here() -> None:
    cache = AwaitingLintCache(MemoryLintCache())
    linter = Linter(cache)
    with LintPool(2) as pool:
        pool.lint_behind(cache, [_job(_topic(1))])
        assert not linter.lint(BROKEN, file="t.yaml", regions=("us-east-1",)).ok
    assert linter.runs == 1


class _Failed:
    def get(self) -> Any:
        raise RuntimeError("worker died")


def test_a_result_the_pool_failed_to_give_is_linted_here() -> None:
    cache = AwaitingLintCache(MemoryLintCache())
    linter = Linter(cache)
    cache.expect(Linter.cache_key(BROKEN, (), ["us-east-1"]), _Failed())
    report = linter.lint(BROKEN, file="t.yaml", regions=("us-east-1",))
    assert report.errors[0].message.startswith("E3012")
    assert linter.runs == 1
