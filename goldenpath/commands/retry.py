"""``goldenpath retry UNIT [REPO]``: try a failed unit again now, not at the next commit.

Without REPO the stall is cleared and a running ``serve`` reconciles at its next poll;
with REPO the head (or ``--ref``) is applied at once, as ``goldenpath apply --yes`` does.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from goldenpath.interventions import acting, add_actor_argument, report


def arguments(parser: argparse.ArgumentParser) -> None:
    add_actor_argument(parser)
    parser.add_argument(
        "repo", nargs="?", default=None, help="apply this platform repo now (default: don't)"
    )
    parser.add_argument("--ref", default="HEAD", help="the revision to apply (default HEAD)")


def run(args: argparse.Namespace) -> int:
    from reconciler.actions import request_retry
    from reconciler.state import StateStore

    def work(actor: Any) -> int:
        with StateStore.open(args.state) as store:
            requested = request_retry(store, args.unit, actor)
        then = (
            f"applying {args.repo} now"
            if args.repo
            else "a running `goldenpath serve` retries it at its next poll "
            "(or run `goldenpath apply --yes`)"
        )
        if args.repo is None or args.output != "json":
            document = {"unit": args.unit, "was": requested.was, "message": requested.message}
            report(args, document, [f"{requested.message}; {then}"])
        if args.repo is None:
            return 0
        return _apply_now(args)

    return acting(args, work)


def _apply_now(args: argparse.Namespace) -> int:
    from goldenpath.commands import apply

    args.yes = True
    args.workers = 8
    args.lint_workers = max(1, (os.cpu_count() or 1) - 1)
    return apply.run(args)
