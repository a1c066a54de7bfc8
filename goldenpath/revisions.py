"""Where a plan or apply run starts: the command's ref, resolved, and the repo at it.

A ref is resolved with one ``git rev-parse`` (cheaper than opening the repository), so a
run that a no-op mark answers (``goldenpath.noop_mark``) never imports GitPython. Imports
are lazy on purpose, for the same reason.
"""

from __future__ import annotations

import argparse
import subprocess
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from reconciler.source.git import GitSource
    from reconciler.source.snapshot import Snapshot
    from reconciler.state import StateStore

# ``git rev-parse`` answers in milliseconds; past this, something is wrong with the repo.
GIT_TIMEOUT_S = 30


def add_ref_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("repo", nargs="?", default=".", help="the platform repo (default: .)")
    parser.add_argument("--ref", default="HEAD", help="the revision to reconcile (default HEAD)")


def open_source(repo: str) -> GitSource:
    from pathlib import Path

    from reconciler.source.git import GitSource

    return GitSource.open(Path(repo))


def committed_snapshot(source: GitSource, ref: str, store: StateStore) -> Snapshot:
    """The platform repo at ``ref``, with template versions extended from the cache."""
    from reconciler.caching import committed_snapshot as cached_snapshot

    return cached_snapshot(source, ref, store)


def source_error(args: argparse.Namespace, exc: Exception) -> int:
    from goldenpath.output import emit_json, say

    if args.output == "json":
        emit_json({"error": str(exc)})
    else:
        say(f"error: {exc}")
    return 1


class Revision(NamedTuple):
    """Where a ref of the platform repo points: the repository, the folder, the commit."""

    git_dir: str
    prefix: str  # the platform repo's folder inside the repository, "" at its root
    commit: str


def revision_of(repo: str, ref: str) -> Revision:
    """Resolve ``ref`` with one ``git rev-parse``: cheaper than opening the repository.

    Raises ``SourceError`` when it cannot.
    """
    found = _rev_parse(repo, ref)
    if isinstance(found, str):
        from reconciler.errors import SourceError

        raise SourceError(found)
    return found


def resolved(args: argparse.Namespace) -> Revision | None:
    """``revision_of`` the command's repo and ref; None once the error is reported.

    The error tree is imported only when there is an error: a marked run has none.
    """
    found = _rev_parse(args.repo, args.ref)
    if not isinstance(found, str):
        return found
    from reconciler.errors import SourceError

    source_error(args, SourceError(found))
    return None


def _rev_parse(repo: str, ref: str) -> Revision | str:
    """The revision, or why there is none."""
    try:
        done = subprocess.run(
            [
                "git",
                "-C",
                repo,
                "rev-parse",
                "--absolute-git-dir",
                "--show-prefix",
                "--verify",
                f"{ref}^{{commit}}",
            ],
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"cannot run git in {repo}: {exc}"
    lines = done.stdout.splitlines()
    if done.returncode != 0 or len(lines) != 3:
        reason = done.stderr.strip().splitlines()[-1:] or ["not a git repository"]
        return f"no revision {ref!r} in {repo}: {reason[0]}"
    git_dir, prefix, commit = lines
    return Revision(git_dir, prefix.rstrip("/"), commit)


__all__ = [
    "Revision",
    "add_ref_arguments",
    "committed_snapshot",
    "open_source",
    "resolved",
    "revision_of",
    "source_error",
]
