"""Opening what a command works on: the platform repo and the state store's caches.

Shared by the commands so that each opens the repo, the version index, the lint cache
and the content memo the same way.
"""

from __future__ import annotations

import argparse
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
    from reconciler.caching import load_version_index, save_version_index

    tree = WorkingTree(Path(repo))
    key = _repo_key(tree)
    cached = load_version_index(store, key) if store is not None and key else None
    committed = tree.committed_versions(cached)
    if store is not None and key and committed.head and committed != cached:
        save_version_index(store, key, committed)
    return tree.snapshot(committed)


def _repo_key(tree: WorkingTree) -> str:
    if tree.git is None:
        return ""
    return f"{tree.git.repo.git_dir}:{tree.git.prefix}"


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
