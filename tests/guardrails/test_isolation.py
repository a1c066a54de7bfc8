"""Policies run in a worker process, within limits: a slow, greedy or crashing policy
holds units back with a clear error, and never stops or slows the process that asked."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from reconciler.guardrails._rego import PolicyCompileError, PolicyEvaluationError
from reconciler.guardrails.isolated import IsolatedPolicies, PolicyLimits

HEADER = "package goldenpath.guardrails\nimport rego.v1\n"
PLAIN = HEADER + (
    'deny contains {"rule": "named", "resource": "x", "message": input.name} '
    'if { input.name == "bad" }\n'
)
# Millions of numbers from one built-in: seconds of one core in rego-cpp 1.5.2, within
# the memory limit (its statement limit stops nested loops, not a built-in's work).
SLOW = HEADER + (
    'deny contains {"rule": "slow", "resource": "x", '
    '"message": sprintf("%d", [count(numbers.range(1, 5000000))])} if { input.slow }\n'
)
GREEDY = HEADER + (
    'deny contains {"rule": "greedy", "resource": "x", '
    '"message": sprintf("%d", [count([x | some x in numbers.range(1, 100000000)])])} '
    "if { input.greedy }\n"
)


def _policies(source: str, limits: PolicyLimits) -> IsolatedPolicies:
    return IsolatedPolicies({"policies/p.rego": source}, {}, "digest", limits)


def test_policies_in_a_worker_judge_like_in_process() -> None:
    policies = _policies(PLAIN, PolicyLimits())
    try:
        assert policies.evaluate({"name": "bad"}).deny == (
            {"rule": "named", "resource": "x", "message": "bad"},
        )
        assert policies.evaluate({"name": "good"}).deny == ()
    finally:
        policies.close()


def test_a_compile_error_comes_back_with_its_file_and_line() -> None:
    with pytest.raises(PolicyCompileError) as raised:
        _policies(HEADER + "deny contains x if {\n", PolicyLimits())
    problem = raised.value.problems[0]
    assert (problem.file, problem.line) == ("policies/p.rego", 3)
    assert "unclosed" in problem.message


def test_a_policy_that_runs_too_long_is_stopped_and_its_revision_refused() -> None:
    policies = _policies(SLOW, PolicyLimits(seconds=1.0, memory_mib=8192))
    try:
        started = time.monotonic()
        with pytest.raises(PolicyEvaluationError, match=r"did not finish within 1 s"):
            policies.evaluate({"slow": True})
        assert time.monotonic() - started < 10  # not the minute and a half it would take
        started = time.monotonic()
        with pytest.raises(PolicyEvaluationError, match=r"held back until they change"):
            policies.evaluate({"slow": False})  # refused at once: the revision is too slow
        assert time.monotonic() - started < 1
    finally:
        policies.close()


def test_a_policy_that_takes_too_much_memory_fails_closed() -> None:
    policies = _policies(GREEDY, PolicyLimits(seconds=60.0, memory_mib=512))
    try:
        with pytest.raises(
            PolicyEvaluationError,
            match=r"died while evaluating \(killed at \d+ MiB, over its 512 MiB\)",
        ):
            policies.evaluate({"greedy": True})
        assert policies.evaluate({"greedy": False}).deny == ()  # a new worker, the next input
    finally:
        policies.close()


def test_a_worker_that_crashes_is_reported_and_started_again() -> None:
    policies = _policies(SLOW, PolicyLimits(seconds=60.0, memory_mib=8192, crashes=2))
    try:
        worker = policies._slot[0]
        assert worker is not None

        def crash() -> None:
            time.sleep(0.5)
            os.kill(worker.process.pid, signal.SIGSEGV)

        threading.Thread(target=crash).start()
        with pytest.raises(
            PolicyEvaluationError, match=r"died while evaluating \(killed by SIGSEGV\)"
        ):
            policies.evaluate({"slow": True})
        assert policies.evaluate({"slow": False}).deny == ()  # started again

        replacement = policies._slot[0]
        assert replacement is not None and replacement.process.pid != worker.process.pid
        os.kill(replacement.process.pid, signal.SIGKILL)
        replacement.process.join()
        assert policies.evaluate({"slow": False}).deny == ()  # a dead idle worker: replaced
    finally:
        policies.close()


def test_a_revision_whose_worker_keeps_dying_is_refused() -> None:
    policies = _policies(GREEDY, PolicyLimits(seconds=60.0, memory_mib=512, crashes=1))
    try:
        with pytest.raises(PolicyEvaluationError, match=r"over its 512 MiB"):
            policies.evaluate({"greedy": True})
        with pytest.raises(PolicyEvaluationError, match=r"after 1 such deaths every unit"):
            policies.evaluate({"greedy": False})
    finally:
        policies.close()


def test_the_limits_come_from_the_environment_and_bad_values_are_named() -> None:
    limits = PolicyLimits.from_env(
        {"GOLDENPATH_POLICY_TIMEOUT": "2.5", "GOLDENPATH_POLICY_MEMORY_MIB": "300"}
    )
    assert (limits.seconds, limits.memory_mib) == (2.5, 300)
    assert PolicyLimits.from_env({}) == PolicyLimits()
    with pytest.raises(ValueError, match=r"GOLDENPATH_POLICY_TIMEOUT='soon': expected a positive"):
        PolicyLimits.from_env({"GOLDENPATH_POLICY_TIMEOUT": "soon"})


def test_closing_stops_the_worker() -> None:
    policies = _policies(PLAIN, PolicyLimits())
    worker = policies._slot[0]
    assert worker is not None and worker.alive()
    policies.close()
    assert not worker.alive()
