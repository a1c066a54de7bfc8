"""Content-keyed caches kept in the state store, so a second run reuses the first's work.

Two things are worth keeping: the template-version index (walking history is the slow
part of a cold start on a long-lived repo) and cfn-lint results keyed by the hash of
the rendered body. Lint results are buffered and written in one batch at the end.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from reconciler.render import LintReport
from reconciler.source.git import GitSource
from reconciler.source.snapshot import Snapshot
from reconciler.state import StateStore
from reconciler.templates.versions import VersionIndex

VERSIONS = "template-versions"
LINT = "lint"
RECOMMENDED = "recommended-version"  # template name → its highest usable version
# Version indexes kept per platform repo: the tracked branch's and a few others'.
INDEXES_KEPT = 8


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
