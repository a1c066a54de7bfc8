"""Opening what a command works on: the platform repo and the state store's caches.

Shared by the commands so that each opens the repo, the version index, the lint cache
and the content memo the same way.
"""

from __future__ import annotations

import argparse
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import structlog

from reconciler.errors import StateError
from reconciler.source.snapshot import Snapshot
from reconciler.source.worktree import WorkingTree
from reconciler.specs.memo import ContentMemo
from reconciler.state import StateStore

log = structlog.get_logger(__name__)


@contextmanager
def state_or_none(url: str) -> Iterator[StateStore | None]:
    """The state store, or None (with a warning) when caches cannot be kept there."""
    try:
        store = StateStore.open(url)
    except StateError as exc:
        log.warning("state.unavailable", url=url, reason=str(exc), effect="no caches this run")
        yield None
        return
    try:
        yield store
    finally:
        store.close()


def working_snapshot(repo: str, store: StateStore | None) -> Snapshot:
    """The working tree at ``repo``, with versions extended from the cached index."""
    from reconciler.caching import StoredVersionIndexes, repo_key

    tree = WorkingTree(Path(repo))
    if store is None or tree.git is None:
        return tree.snapshot()
    indexes = StoredVersionIndexes(store, repo_key(tree.git))
    committed = tree.committed_versions(indexes)
    indexes.keep(committed)
    return tree.snapshot(committed)


def add_repo_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("repo", nargs="?", default=".", help="the platform repo (default: .)")


class StoredContent:
    """The content memo's ``ContentStore`` over the state store's cache table."""

    def __init__(self, store: StateStore) -> None:
        self.store = store

    def get_many(self, namespace: str, keys: Iterable[str]) -> Mapping[str, Any]:
        return self.store.cache_get_many(namespace, keys)

    def put_many(self, namespace: str, entries: Mapping[str, Any]) -> None:
        self.store.cache_put_many(namespace, entries)


def stored_memo(store: StateStore | None) -> ContentMemo:
    """A content memo kept in ``store``, or in this process only when there is none."""
    return ContentMemo(StoredContent(store) if store is not None else None)


# Bodies handed to a lint worker at a time: few round trips, still an even spread.
POOL_CHUNK = 4
LintJob = tuple[str, tuple[str, ...], str, str]  # body, suppressed checks, region, file


class LintPool:
    """cfn-lint in worker processes, one per core, that fill a linter's cache.

    cfn-lint is CPU bound: building its rules takes about a second and each body tens of
    milliseconds, all under one interpreter lock. The workers are forked when the pool is
    made and build their rules at once, while the command goes on reading the repo and
    planning. ``lint_ahead`` lints every body the cache lacks (identical bodies once) and
    returns when all are done; ``lint_behind`` only queues them, and the cache it returns
    waits for a body's result when somebody asks for it: ``apply`` deploys the first
    stacks while the workers still lint the last ones.
    """

    def __init__(self, workers: int) -> None:
        import multiprocessing

        self.workers = workers
        self.closed = False
        # Forked now; each worker builds its rules as it starts (the initializer).
        self.pool = multiprocessing.get_context("fork").Pool(workers, initializer=_warm_up)

    def lint_ahead(self, linter: Any, jobs: Iterable[LintJob]) -> int:
        """Lint the jobs whose results ``linter``'s cache lacks; returns how many ran.

        Each result is stored under the key the worker's own ``Linter`` gave it (made as
        ``Linter.cache_key`` makes it here), so a disagreement costs a lint, never a wrong
        answer.
        """
        from reconciler.render import LintReport

        todo = _missing(linter.cache, jobs)
        for key, text in self.pool.imap_unordered(_worker_lint_keyed, todo.values(), POOL_CHUNK):
            linter.cache.put(key, LintReport.from_json(text))
        return len(todo)

    def lint_behind(self, cache: AwaitingLintCache, jobs: Iterable[LintJob]) -> int:
        """Queue the jobs ``cache`` lacks, in order; returns how many were queued."""
        todo = _missing(cache, jobs)
        for key, job in todo.items():
            cache.expect(key, self.pool.apply_async(_worker_lint, (job,)))
        return len(todo)

    def close(self) -> None:
        """Stop the workers at once: whatever they were warming up is no longer needed."""
        if not self.closed:
            self.closed = True
            self.pool.terminate()
            self.pool.join()

    def __enter__(self) -> LintPool:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class AwaitingLintCache:
    """A ``LintCache`` in front of another that waits for results a pool still works on.

    A result the pool failed to give (a worker died, cfn-lint raised) reads as a miss, so
    the caller's ``Linter`` lints the body itself.
    """

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self._expected: dict[str, Any] = {}
        self._lock = threading.Lock()

    def expect(self, key: str, result: Any) -> None:
        """``result`` (an ``AsyncResult`` of report JSON) will answer for ``key``."""
        with self._lock:
            self._expected[key] = result

    def known(self, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` have a result, or will have one."""
        with self._lock:
            expected = {key for key in keys if key in self._expected}
        return expected | known_of(self.inner, set(keys) - expected)

    def get(self, key: str) -> Any:
        from reconciler.render import LintReport

        # An expected key was missing when the pool was asked: no need to ask again.
        with self._lock:
            result = self._expected.pop(key, None)
        if result is None:
            return self.inner.get(key)
        try:
            report = LintReport.from_json(result.get())
        except Exception as exc:  # the worker's failure: lint here instead
            log.warning("lint.worker_failed", error=str(exc), error_type=type(exc).__name__)
            return None
        self.inner.put(key, report)
        return report

    def put(self, key: str, report: Any) -> None:
        self.inner.put(key, report)


def _missing(cache: Any, jobs: Iterable[LintJob]) -> dict[str, LintJob]:
    """The jobs whose results ``cache`` lacks, by cache key (identical bodies once)."""
    from reconciler.render import Linter

    keyed: dict[str, LintJob] = {}
    for job in jobs:
        body, ignore, region, _template = job
        keyed.setdefault(Linter.cache_key(body, ignore, [region]), job)
    known = known_of(cache, keyed)
    return {key: job for key, job in keyed.items() if key not in known}


def known_of(cache: Any, keys: Iterable[str]) -> set[str]:
    """Which of ``keys`` ``cache`` has: in one batch where it can, else one by one."""
    batch = getattr(cache, "known", None)
    if batch is not None:
        return set(batch(keys))
    return {key for key in keys if cache.get(key) is not None}


_WORKER_LINTER: Any = None


def _warm_up() -> None:
    _worker_linter().warm_up()


def _worker_lint_keyed(job: LintJob) -> tuple[str, str]:
    from reconciler.render import Linter

    body, ignore, region, _template = job
    return Linter.cache_key(body, ignore, [region]), _worker_lint(job)


def _worker_linter() -> Any:
    global _WORKER_LINTER
    from reconciler.render import Linter

    if _WORKER_LINTER is None:
        _WORKER_LINTER = Linter()
    return _WORKER_LINTER


def _worker_lint(job: LintJob) -> str:
    body, ignore, region, template = job
    report = _worker_linter().lint(body, file=template, ignore_checks=ignore, regions=(region,))
    text: str = report.to_json()
    return text
