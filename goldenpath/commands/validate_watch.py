"""``goldenpath validate --watch``: stay running and validate again after every change.

The working tree is watched (``TreeWatcher``), so each run looks only at the paths that
changed and the content memo redoes only what they touch: a changed service file is
validated again in milliseconds, however large the repo. Each result is printed as it
comes: the problems and a verdict line (human), or one JSON document per line (json).
Ctrl-C stops it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

# Quiet time that ends a burst of changes (an editor's save, a git checkout).
QUIET_S = 0.1


def watch(args: argparse.Namespace, show: Any) -> int:
    """Validate now and after every change until interrupted; ``show(result, seconds)``
    prints one result."""
    from goldenpath.terraform_fmt import terraform_fmt
    from goldenpath.workspace import state_or_none, stored_memo, today
    from reconciler.caching import StoredLintCache
    from reconciler.errors import SourceError
    from reconciler.guardrails import GuardrailSettings
    from reconciler.render import Linter, Renderer
    from reconciler.source.worktree import WorkingTree
    from reconciler.validation import validate_snapshot

    with state_or_none(args.state) as store:
        try:
            tree = WorkingTree(Path(args.repo), watch=True)
        except SourceError as exc:
            sys.stderr.write(f"error: {args.repo}: {exc}\n")
            return 1
        cache = StoredLintCache(store, write_through=True) if store is not None else None
        linter = None if args.no_lint else Linter(cache)
        memo, renderer = stored_memo(store), Renderer()
        try:
            while True:
                started = time.perf_counter()
                try:
                    snapshot = tree.snapshot()
                except SourceError as exc:  # a link out of the repo, say: until it is gone
                    unreadable(args, str(exc), time.perf_counter() - started)
                else:
                    result = validate_snapshot(
                        snapshot,
                        renderer=renderer,
                        linter=linter,
                        memo=memo,
                        guardrails=GuardrailSettings(today()),
                        terraform_fmt=terraform_fmt,
                    )
                    memo.end_run()
                    show(result, time.perf_counter() - started)
                sys.stdout.flush()
                assert tree.watcher is not None
                tree.watcher.wait(quiet=QUIET_S)
        except KeyboardInterrupt:
            return 0
        finally:
            tree.close()


def unreadable(args: argparse.Namespace, reason: str, seconds: float) -> None:
    """A look at the tree that failed: shown as a failed result, and watching goes on."""
    if args.output == "json":
        problem = {"file": args.repo, "line": None, "field": "", "message": reason}
        json_line(
            {"ok": False, "errors": [problem], "warnings": [], "units": 0, "seconds": seconds}
        )
    else:
        sys.stdout.write(f"error: {args.repo}: {reason}\n")


def json_line(document: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(document, default=str) + "\n")
