"""Opening the engine for plan and apply: state store, snapshot at a ref, reconciler."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from reconciler.caching import StoredLintCache
from reconciler.caching import committed_snapshot as cached_snapshot
from reconciler.cloud import Cloud
from reconciler.errors import SourceError
from reconciler.render import Linter
from reconciler.source.git import GitSource
from reconciler.source.snapshot import Snapshot
from reconciler.state import StateStore


def add_ref_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("repo", nargs="?", default=".", help="the platform repo (default: .)")
    parser.add_argument("--ref", default="HEAD", help="the revision to reconcile (default HEAD)")


def committed_snapshot(repo: str, ref: str, store: StateStore) -> Snapshot:
    """The platform repo at ``ref``, with template versions extended from the cache."""
    return cached_snapshot(GitSource.open(Path(repo)), ref, store)


@contextmanager
def lint_cache(store: StateStore) -> Iterator[Linter]:
    cache = StoredLintCache(store)
    try:
        yield Linter(cache)
    finally:
        cache.flush()


def source_error(args: argparse.Namespace, exc: SourceError) -> int:
    from goldenpath.output import emit_json, say

    if args.output == "json":
        emit_json({"error": str(exc)})
    else:
        say(f"error: {exc}")
    return 1


__all__ = ["Cloud", "add_ref_arguments", "committed_snapshot", "lint_cache", "source_error"]
