"""``goldenpath plan [REPO] [--ref REF] [--refresh]``: exit 0 no changes, 2 changes, 1 error."""

from __future__ import annotations

import argparse
from typing import Any

from goldenpath.revisions import add_ref_arguments

# Logs are set up once the run needs the engine (goldenpath.cli): a no-op never does.
CONFIGURES_LOGS = True


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
    from goldenpath.noop_mark import fast_noop, marked, noop_key
    from goldenpath.revisions import resolved, source_error

    if args.refresh and args.cloud == "embedded" and not args.aws_endpoint_url:
        from reconciler.errors import SourceError

        return source_error(
            args,
            SourceError(
                "--refresh compares with live stacks, and a new embedded emulator has none: give "
                "the running emulator's --aws-endpoint-url (see `goldenpath emulator`)"
            ),
        )
    revision = resolved(args)
    if revision is None:
        return 1
    # --refresh asks the cloud what is live: a mark of the recorded state cannot answer.
    found = None if args.refresh else fast_noop(args.state, revision)
    if found is not None:
        _say_again(found, args.output)
        return 0
    from goldenpath.cli import configure_logs
    from reconciler.state import StateStore

    configure_logs(args)
    with StateStore.open(args.state) as store:
        key = None if args.refresh else noop_key(revision, store, args.state)
        found = marked(store, key)
        if found is not None:
            _say_again(found, args.output)
            return 0
        return _plan(args, store, revision.commit, key)


def _plan(args: argparse.Namespace, store: Any, commit: str, key: str | None) -> int:
    from goldenpath.noop_mark import OfflineCloud, mark
    from goldenpath.report import plan_json, print_plan
    from goldenpath.revisions import committed_snapshot, open_source, source_error
    from goldenpath.workspace import today
    from reconciler.apply.engine import Reconciler
    from reconciler.caching import StoredVerdictCache
    from reconciler.errors import GoldenpathError, SourceError

    try:
        snapshot = committed_snapshot(open_source(args.repo), commit, store)
    except SourceError as exc:
        return source_error(args, exc)
    verdicts = StoredVerdictCache(store)
    planned = Reconciler(store, OfflineCloud(), verdicts=verdicts, today=today).plan(snapshot)
    summary = planned.plan.summary
    reachable = not (args.cloud == "embedded" and not args.aws_endpoint_url)
    # A stack to adopt is read even with --no-preview: whether it exists and matches is
    # what that plan is for.
    wants_cloud = args.refresh or (
        reachable and (summary["adopt"] or (not args.no_preview and summary["update"]))
    )
    if wants_cloud:
        from goldenpath.cloud import open_cloud

        try:
            with open_cloud(args) as cloud:
                planned = Reconciler(store, cloud, verdicts=verdicts, today=today).plan(
                    snapshot, refresh=args.refresh, preview=not args.no_preview, read=True
                )
        except GoldenpathError as exc:
            from goldenpath.output import say

            say(f"error: {exc}")
            return 1
    verdicts.flush()
    nothing = not planned.build.errors and not planned.plan.has_changes
    if nothing and not planned.rollouts and not args.refresh:
        mark(store, key, plan_json(planned), plan_text(planned))
    print_plan(planned, args.output)
    if planned.build.errors:
        return 1
    return 2 if planned.plan.has_changes else 0


def plan_text(planned: Any) -> str:
    """The human form of a plan, as ``print_plan`` writes it."""
    import io
    from contextlib import redirect_stdout

    from goldenpath.report import print_plan

    buffer = io.StringIO()
    with redirect_stdout(buffer):
        print_plan(planned, "human")
    return buffer.getvalue()


def _say_again(found: dict[str, Any], output: str) -> None:
    """What the marked plan said: nothing has changed since, so it still holds."""
    import sys

    from goldenpath.noop_mark import say_json

    if output == "json":
        say_json(found["plan"])
    else:
        sys.stdout.write(found["text"])
