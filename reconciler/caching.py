"""Content-keyed caches kept in the state store, so a second run reuses the first's work.

Three things are worth keeping: the template-version index (walking history is the slow
part of a cold start on a long-lived repo), cfn-lint results keyed by the hash of the
rendered body, and what the guardrails' policies said of a body, keyed by the hashes of
the policy revision, the unit and the body. Results are buffered and written in one
batch at the end.
"""

from __future__ import annotations

from collections.abc import Iterable
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


class StoredLintCache:
    """A ``LintCache`` over the state store.

    Buffered by default (a command calls ``flush()`` once linting is done); a long-running
    process asks for ``write_through``, so nothing waits in memory for a flush.
    """

    def __init__(self, store: StateStore, *, write_through: bool = False) -> None:
        self.store = store
        self.write_through = write_through
        self.pending: dict[str, str] = {}
        self.seen: dict[str, LintReport | None] = {}

    def get(self, key: str) -> LintReport | None:
        if key in self.pending:
            return LintReport.from_json(self.pending[key])
        if key not in self.seen:
            text = self.store.cache_get(LINT, key)
            self.seen[key] = LintReport.from_json(text) if isinstance(text, str) else None
        return self.seen[key]

    def known(self, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` have a report: one batched read for those not seen yet."""
        keys = set(keys)
        unseen = [key for key in keys if key not in self.pending and key not in self.seen]
        if unseen:
            found = self.store.cache_get_many(LINT, unseen)
            for key in unseen:
                text = found.get(key)
                self.seen[key] = LintReport.from_json(text) if isinstance(text, str) else None
        return {key for key in keys if key in self.pending or self.seen.get(key) is not None}

    def put(self, key: str, report: LintReport) -> None:
        self.pending[key] = report.to_json()
        if self.write_through:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.store.cache_put_many(LINT, self.pending)
            self.pending = {}


class StoredVerdictCache:
    """A ``VerdictCache`` (reconciler.guardrails) over the state store, buffered like
    ``StoredLintCache``: ``flush()`` writes what was found in one batch."""

    def __init__(self, store: StateStore, *, write_through: bool = False) -> None:
        self.store = store
        self.write_through = write_through
        self.pending: dict[str, Any] = {}
        self.seen: dict[str, Any] = {}

    def get(self, key: str) -> Any | None:
        if key in self.pending:
            return self.pending[key]
        if key not in self.seen:
            self.seen[key] = self.store.cache_get(GUARDRAILS, key)
        return self.seen[key]

    def known(self, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` have a result: one batched read for those not seen yet."""
        keys = set(keys)
        unseen = [key for key in keys if key not in self.pending and key not in self.seen]
        if unseen:
            found = self.store.cache_get_many(GUARDRAILS, unseen)
            for key in unseen:
                self.seen[key] = found.get(key)
        return {key for key in keys if key in self.pending or self.seen.get(key) is not None}

    def put(self, key: str, value: Any) -> None:
        self.pending[key] = value
        if self.write_through:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.store.cache_put_many(GUARDRAILS, self.pending)
            self.seen.update(self.pending)
            self.pending = {}


def load_version_index(store: StateStore, repo_key: str) -> VersionIndex | None:
    data = store.cache_get(VERSIONS, repo_key)
    return VersionIndex.from_json(data) if isinstance(data, dict) else None


def save_version_index(store: StateStore, repo_key: str, index: VersionIndex) -> None:
    store.cache_put(VERSIONS, repo_key, index.to_json())


def committed_snapshot(source: GitSource, ref: str, store: StateStore) -> Snapshot:
    """The platform repo at ``ref``, with template versions extended from the cache."""
    key = f"{source.repo.git_dir}:{source.prefix}"
    cached = load_version_index(store, key)
    commit = source.resolve(ref)
    versions = source.versions(commit, cached)
    if versions != cached:
        save_version_index(store, key, versions)
    return Snapshot(commit, source.files(commit), versions, source)
