"""Content-keyed caches kept in the state store, so a second run reuses the first's work.

Three things are worth keeping: the template-version indexes (walking history is the slow
part of a cold start on a long-lived repo), cfn-lint results keyed by the hash of the
rendered body, and what the guardrails' policies said of a body, keyed by the hashes of
the policy revision, the unit and the body. Results are buffered and written in one
batch at the end, or written through by a long-running process. ``prune_unused`` drops
what is long unused.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from datetime import timedelta
from typing import Any

from reconciler.render import LintReport
from reconciler.source.git import GitSource
from reconciler.source.snapshot import Snapshot
from reconciler.state import StateStore
from reconciler.templates.versions import VersionIndex

VERSIONS = "template-versions"
LINT = "lint"
RECOMMENDED = "recommended-version"  # template name → its highest usable version
GUARDRAILS = "guardrails"  # Guardrails.key → what deny and warn held (or the error)
# A Terraform unit's fingerprint → its files (path → text), for the next plan's file diff.
TERRAFORM_FILES = "terraform-files"
# Lint reports a process keeps at hand: more than the bodies of a 5,000-instance repo.
REPORTS_KEPT = 20_000
# Version indexes kept per platform repo: the tracked branch's and a few others'.
INDEXES_KEPT = 8


class StoredLintCache:
    """A ``LintCache`` over the state store, with the reports it read or wrote at hand.

    Buffered by default (a command calls ``flush()`` once linting is done); a long-running
    process asks for ``write_through``, so nothing waits in memory for a flush. What a
    ``get`` answers includes every ``put`` before it. The ``kept`` most recently used
    reports are held in memory. A miss is not remembered: the next ``get`` asks the store
    again, so a report another process (a replica, a lint worker) stored since is found.
    """

    def __init__(
        self, store: StateStore, *, write_through: bool = False, kept: int = REPORTS_KEPT
    ) -> None:
        self.store = store
        self.write_through = write_through
        self.pending: dict[str, str] = {}  # written by put, not yet flushed to the store
        self._reports: OrderedDict[str, LintReport] = OrderedDict()
        self._kept = kept
        self._lock = threading.Lock()

    def get(self, key: str) -> LintReport | None:
        report = self._recalled(key)
        if report is not None:
            return report
        text = self.store.cache_get(LINT, key)
        if not isinstance(text, str):
            return None
        report = LintReport.from_json(text)
        self._remember(key, report)
        return report

    def known(self, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` have a report: one batched read for those not at hand."""
        keys = set(keys)
        found = {key for key in keys if self._recalled(key) is not None}
        unseen = keys - found
        if unseen:
            for key, text in self.store.cache_get_many(LINT, unseen).items():
                if isinstance(text, str):
                    self._remember(key, LintReport.from_json(text))
                    found.add(key)
        return found

    def put(self, key: str, report: LintReport) -> None:
        self._remember(key, report)
        with self._lock:
            self.pending[key] = report.to_json()
        if self.write_through:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            pending, self.pending = self.pending, {}
        if not pending:
            return
        try:
            self.store.cache_put_many(LINT, pending)
        except BaseException:
            with self._lock:  # kept for the next flush
                self.pending = {**pending, **self.pending}
            raise

    def __len__(self) -> int:
        """How many reports are held in memory."""
        return len(self._reports)

    def _recalled(self, key: str) -> LintReport | None:
        with self._lock:
            report = self._reports.get(key)
            if report is not None:
                self._reports.move_to_end(key)
                return report
            text = self.pending.get(key)
        return LintReport.from_json(text) if text is not None else None

    def _remember(self, key: str, report: LintReport) -> None:
        with self._lock:
            self._reports[key] = report
            self._reports.move_to_end(key)
            while len(self._reports) > self._kept:
                self._reports.popitem(last=False)


class StoredVerdictCache:
    """A ``VerdictCache`` (reconciler.guardrails) over the state store, buffered like
    ``StoredLintCache``: ``flush()`` writes what was found in one batch.

    As for lint, a miss is never remembered (another replica may store the verdict next),
    and the verdicts held in memory are bounded, least recently used out first.
    """

    def __init__(self, store: StateStore, *, write_through: bool = False) -> None:
        self.store = store
        self.write_through = write_through
        self.pending: dict[str, Any] = {}
        self._held: OrderedDict[str, Any] = OrderedDict()

    def get(self, key: str) -> Any | None:
        if key in self.pending:
            return self.pending[key]
        if key in self._held:
            self._held.move_to_end(key)
            return self._held[key]
        found = self.store.cache_get(GUARDRAILS, key)
        if found is not None:
            self._hold({key: found})
        return found

    def known(self, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` have a result: one batched read for those not held."""
        keys = set(keys)
        unheld = [key for key in keys if key not in self.pending and key not in self._held]
        if unheld:
            self._hold(self.store.cache_get_many(GUARDRAILS, unheld))
        return {key for key in keys if key in self.pending or key in self._held}

    def put(self, key: str, value: Any) -> None:
        self.pending[key] = value
        if self.write_through:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            pending, self.pending = self.pending, {}
            self.store.cache_put_many(GUARDRAILS, pending)
            self._hold(pending)

    def _hold(self, found: Mapping[str, Any]) -> None:
        for key, value in found.items():
            if value is not None:
                self._held[key] = value
                self._held.move_to_end(key)
        while len(self._held) > REPORTS_KEPT:
            self._held.popitem(last=False)


class StoredVersionIndexes(Mapping[str, VersionIndex]):
    """The template-version indexes kept for one platform repo, by head commit.

    Several are kept (the tracked branch's, a few change requests' and feature branches'),
    so that checking a branch does not push out the index of its base. Entries:
    ``"<repo key>"`` lists the heads, most recently used first, and
    ``"<repo key>@<head>"`` holds each index. An index is read only when asked for.
    """

    def __init__(self, store: StateStore, repo_key: str) -> None:
        self.store = store
        self.repo_key = repo_key
        listed = store.cache_get(VERSIONS, repo_key)
        heads = listed.get("heads") if isinstance(listed, dict) else None
        self.heads: list[str] = [h for h in heads or [] if isinstance(h, str)]
        self._read: dict[str, VersionIndex] = {}

    def __getitem__(self, head: str) -> VersionIndex:
        if head not in self.heads:
            raise KeyError(head)
        if head not in self._read:
            data = self.store.cache_get(VERSIONS, self._entry(head))
            try:
                if not isinstance(data, dict):
                    raise TypeError(f"not an index: {type(data).__name__}")
                self._read[head] = VersionIndex.from_json(data)
            except (KeyError, TypeError, ValueError) as exc:  # gone, or not an index
                raise KeyError(head) from exc
        return self._read[head]

    def __contains__(self, head: object) -> bool:
        return head in self.heads

    def __iter__(self) -> Iterator[str]:
        return iter(list(self.heads))

    def __len__(self) -> int:
        return len(self.heads)

    def keep(self, index: VersionIndex) -> None:
        """Make ``index`` the most recently used; the oldest beyond ``INDEXES_KEPT`` go.

        Writes only what changed: nothing when it is already the most recent."""
        head = index.head
        if head is None or (self.heads[:1] == [head] and self._read.get(head) == index):
            return
        heads = [head, *(h for h in self.heads if h != head)]
        entries: dict[str, Any] = {self.repo_key: {"heads": heads[:INDEXES_KEPT]}}
        if self._read.get(head) != index:
            entries[self._entry(head)] = index.to_json()
        with self.store.transaction("keeping a template-version index") as tx:
            tx.cache_put_many(VERSIONS, entries)
            for gone in heads[INDEXES_KEPT:]:
                tx.cache_delete(VERSIONS, self._entry(gone))
        self.heads = heads[:INDEXES_KEPT]
        self._read[head] = index

    def _entry(self, head: str) -> str:
        return f"{self.repo_key}@{head}"


def repo_key(source: GitSource) -> str:
    """What the version indexes of a platform repo are kept under."""
    return f"{source.repo.git_dir}:{source.prefix}"


def committed_snapshot(source: GitSource, ref: str, store: StateStore) -> Snapshot:
    """The platform repo at ``ref``, with template versions derived from the nearest
    kept index."""
    indexes = StoredVersionIndexes(store, repo_key(source))
    commit = source.resolve(ref)
    versions = source.versions(commit, indexes)
    indexes.keep(versions)
    return Snapshot(commit, source.files(commit), versions, source)


def prune_unused(
    store: StateStore, namespaces: Iterable[str], kept_unused: timedelta
) -> dict[str, int]:
    """Drop the entries of ``namespaces`` neither stored nor read for ``kept_unused``, once
    this process's reads are recorded; how many went, by namespace.

    Only for content-addressed namespaces: a dropped entry still wanted is derived again.
    Reads are marked to within a day (``StateSettings.cache_use_resolution``), and a no-op
    mark read by ``fast_noop`` (SQLite, read-only) is not marked at all: such a mark goes
    after ``kept_unused`` and the next plan makes it again.
    """
    store.record_cache_uses()
    unused_since = store.now() - kept_unused
    return {namespace: store.cache_prune(namespace, unused_since) for namespace in namespaces}
