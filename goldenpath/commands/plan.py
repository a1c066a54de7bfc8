"""``goldenpath plan [REPO] [--ref REF] [--refresh]``: exit 0 no changes, 2 changes, 1 error."""

from __future__ import annotations

import argparse
from typing import Any

from goldenpath.engine import add_ref_arguments


def arguments(parser: argparse.ArgumentParser) -> None:
    add_ref_arguments(parser)
    parser.add_argument(
        "--refresh",
        action="store_true",
        help="also compare with the live stacks (one describe per 100 stacks)",
    )
    parser.add_argument(
        "--no-preview",
        action="store_true",
        help="do not create change sets to show resource-level changes",
    )


def run(args: argparse.Namespace) -> int:
    from goldenpath.cloud import open_cloud
    from goldenpath.engine import committed_snapshot, source_error
    from goldenpath.report import print_plan
    from reconciler.apply.engine import Reconciler
    from reconciler.errors import GoldenpathError, SourceError
    from reconciler.state import StateStore

    with StateStore.open(args.state) as store:
        try:
            snapshot = committed_snapshot(args.repo, args.ref, store)
        except SourceError as exc:
            return source_error(args, exc)
        offline = Reconciler(store, _NoCloud())
        planned = offline.plan(snapshot)
        wants_cloud = args.refresh or (
            not args.no_preview
            and planned.plan.summary["update"]
            and not (args.cloud == "embedded" and not args.aws_endpoint_url)
        )
        if wants_cloud:
            try:
                with open_cloud(args) as cloud:
                    planned = Reconciler(store, cloud).plan(
                        snapshot, refresh=args.refresh, preview=not args.no_preview
                    )
            except GoldenpathError as exc:
                from goldenpath.output import say

                say(f"error: {exc}")
                return 1
    print_plan(planned, args.output)
    if planned.build.errors:
        return 1
    return 2 if planned.plan.has_changes else 0


class _NoCloud:
    """Planning from recorded state alone makes no cloud call at all."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"a plan without --refresh must not call the cloud ({name})")
