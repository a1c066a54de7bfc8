"""Policies evaluated in a worker process of their own, within limits on time and memory.

Policies are code from the platform repo, and a pull request may change them: its own
policies judge it before anyone reviews it. rego-cpp runs them in C++ with no limit of
its own, so in the long-running process a policy could

- run for as long as it likes (``count(numbers.range(1, 30000000))`` took 93 seconds
  here), holding the reconcile loop;
- take all the memory it can name;
- crash the process (rego-cpp 1.5.2 segfaults on some constructs; ``_rego`` refuses the
  one known).

So each compiled revision lives in a worker process (``multiprocessing``'s forkserver:
started clean, never forked from a process with threads), which compiles the policies
once and evaluates one input at a time. The parent waits at most
``PolicyLimits.seconds`` for each answer and, while it waits, reads the worker's
resident memory ten times a second, killing it above ``PolicyLimits.memory_mib``.
(``RLIMIT_AS`` cannot do it: rego-cpp's allocator reserves about 260 GB of address space
as it loads, so any limit on address space fails every allocation.) All failures fail
closed, as ``PolicyEvaluationError`` with what happened:

- an input that does not finish in time kills the worker, and every later input of that
  revision is refused at once (a policy that slow would otherwise cost its limit per unit);
- a worker that dies (a crash, or killed over its memory) is started again for the next input,
  up to ``PolicyLimits.crashes`` times per revision; then the revision is refused.

Compile errors come back from the worker as ``PolicyCompileError`` with their positions.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from reconciler.guardrails._rego import (
    PolicyCompileError,
    PolicyEvaluationError,
    RawResults,
    compile_policies,
    refuse_builtins,
)

MEMORY_LOOK_S = 0.1  # how often the parent reads a busy worker's memory
_PAGE = os.sysconf("SC_PAGE_SIZE")
_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["reconciler.guardrails._rego"])


@dataclass(frozen=True)
class PolicyLimits:
    """What one evaluation may cost the worker; read from the environment by ``serve``."""

    seconds: float = 10.0
    """Wall seconds for one input (the compile of a revision gets the same)."""
    memory_mib: int = 2048
    """The worker's resident memory, in MiB, above which it is killed."""
    crashes: int = 3
    """Worker deaths tolerated per revision before every input of it is refused."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> PolicyLimits:
        """``GOLDENPATH_POLICY_TIMEOUT`` (seconds) and ``GOLDENPATH_POLICY_MEMORY_MIB``."""
        seconds = _positive(environ, "GOLDENPATH_POLICY_TIMEOUT", float, cls.seconds)
        memory = _positive(environ, "GOLDENPATH_POLICY_MEMORY_MIB", int, cls.memory_mib)
        return cls(seconds=seconds, memory_mib=memory)


def _positive(environ: Mapping[str, str], name: str, kind: type, default: Any) -> Any:
    text = environ.get(name)
    if text is None or text == "":
        return default
    try:
        value = kind(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise ValueError(f"{name}={text!r}: expected a positive number")
    return value


class IsolatedPolicies:
    """One policy revision compiled in a worker process; inputs evaluated one at a time."""

    def __init__(
        self, modules: Mapping[str, str], data: Mapping[str, Any], digest: str, limits: PolicyLimits
    ) -> None:
        refuse_builtins(modules)
        self.digest = digest
        self.limits = limits
        self._modules = dict(modules)
        self._data = dict(data)
        self._lock = threading.Lock()
        self._crashes = 0
        self._refused: str | None = None  # why every input of this revision is refused
        # The worker now (one slot, so that the finalizer stops whichever runs last).
        self._slot: list[_Worker | None] = [self._start()]  # compile errors surface here
        weakref.finalize(self, _stop_slot, self._slot)

    def evaluate(self, document: Mapping[str, Any]) -> RawResults:
        """``deny`` and ``warn`` for ``document`` as ``input``; ``PolicyEvaluationError``
        when the policies fail, run out of time or memory, or crash."""
        with self._lock:
            if self._refused is not None:
                raise PolicyEvaluationError(self._refused)
            worker = self._slot[0]
            if worker is None or not worker.alive():
                worker = self._slot[0] = self._start()
            try:
                results: RawResults = worker.ask(("evaluate", dict(document)), self.limits)
                return results
            except _TimedOut:
                worker.stop()
                self._refused = (
                    f"the policies did not finish within {self.limits.seconds:g} s for one "
                    "input and were stopped; every unit is held back until they change"
                )
                raise PolicyEvaluationError(self._refused) from None
            except _Died as died:
                self._crashes += 1
                why = f"the policy engine died while evaluating ({died})"
                if self._crashes >= self.limits.crashes:
                    self._refused = (
                        f"{why}; after {self._crashes} such deaths every unit is held back "
                        "until the policies change"
                    )
                raise PolicyEvaluationError(why) from None

    def close(self) -> None:
        """Stop the worker (a revision dropped from the compiled ones)."""
        with self._lock:
            _stop_slot(self._slot)

    def _start(self) -> _Worker:
        worker = _Worker.start(self.limits)
        try:
            worker.ask(("compile", self._modules, self._data, self.digest), self.limits)
        except (_TimedOut, _Died) as exc:
            worker.stop()
            raise PolicyEvaluationError(f"the policies could not be compiled: {exc}") from None
        except PolicyCompileError:
            worker.stop()
            raise
        return worker


class _TimedOut(Exception):
    pass


class _Died(Exception):
    pass


class _Worker:
    """The parent's end of one worker process."""

    def __init__(self, process: Any, connection: Connection) -> None:
        self.process = process
        self.connection = connection

    @classmethod
    def start(cls, limits: PolicyLimits) -> _Worker:
        ours, theirs = _CONTEXT.Pipe()
        process = _CONTEXT.Process(
            target=_serve, args=(theirs,), name="goldenpath-policies", daemon=True
        )
        process.start()
        theirs.close()
        return cls(process, ours)

    def alive(self) -> bool:
        return bool(self.process.is_alive())

    def ask(self, request: tuple[Any, ...], limits: PolicyLimits) -> Any:
        try:
            self.connection.send(request)
            self._wait(limits)
            kind, value = self.connection.recv()
        except (EOFError, BrokenPipeError, ConnectionResetError, OSError):
            raise _Died(self._death()) from None
        if kind == "ok":
            return value
        if kind == "compile-error":
            raise PolicyCompileError(value)
        raise PolicyEvaluationError(value)

    def _wait(self, limits: PolicyLimits) -> None:
        """Until the answer is there: ``_TimedOut`` past the time, ``_Died`` over memory."""
        deadline = time.monotonic() + limits.seconds
        while not self.connection.poll(max(0.0, min(MEMORY_LOOK_S, deadline - time.monotonic()))):
            if time.monotonic() >= deadline:
                raise _TimedOut(f"no answer within {limits.seconds:g} s")
            used = resident_mib(self.process.pid)
            if used is not None and used > limits.memory_mib:
                self.process.kill()
                self.process.join(timeout=5.0)
                raise _Died(f"killed at {used} MiB, over its {limits.memory_mib} MiB")

    def _death(self) -> str:
        self.process.join(timeout=1.0)
        code = self.process.exitcode
        if code is None:
            return "it stopped answering"
        if code < 0:
            return f"killed by {signal.Signals(-code).name}"
        return f"exit code {code}"

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5.0)
        self.connection.close()


def _stop_slot(slot: list[_Worker | None]) -> None:
    worker, slot[0] = slot[0], None
    if worker is not None:
        # At interpreter exit the process may already be gone.
        with contextlib.suppress(OSError, ValueError, AssertionError):
            worker.stop()


def resident_mib(pid: int | None) -> int | None:
    """A process's resident memory in MiB (Linux ``/proc``); None where it cannot be read."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return pages * _PAGE // (1024 * 1024)


def _serve(connection: Connection) -> None:
    """The worker: compile once, then answer ``evaluate`` requests until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when it stops
    policies = None
    while True:
        try:
            request = connection.recv()
        except EOFError:
            os._exit(0)
        try:
            if request[0] == "compile":
                policies = compile_policies(request[1], request[2], request[3])
                connection.send(("ok", None))
            elif policies is None:
                connection.send(("error", "no policies were compiled in this worker"))
            else:
                connection.send(("ok", policies.evaluate(request[1])))
        except PolicyCompileError as exc:
            connection.send(("compile-error", list(exc.problems)))
        except PolicyEvaluationError as exc:
            connection.send(("error", str(exc)))
        except MemoryError:
            connection.send(("error", "the policies ran out of memory"))
