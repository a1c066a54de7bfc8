"""``goldenpath apply [REPO] [--ref REF] --yes``: make the cloud match the repo."""

from __future__ import annotations

import argparse

from goldenpath.engine import add_ref_arguments


def arguments(parser: argparse.ArgumentParser) -> None:
    add_ref_arguments(parser)
    parser.add_argument("--yes", action="store_true", help="apply without asking")
    parser.add_argument("--workers", type=int, default=8, help="API calls at once (default 8)")


def run(args: argparse.Namespace) -> int:
    from goldenpath.cloud import open_cloud
    from goldenpath.engine import committed_snapshot, lint_cache, source_error
    from goldenpath.output import say
    from goldenpath.report import ApplyProgressView, print_apply
    from reconciler.apply.engine import Reconciler
    from reconciler.apply.executor import ApplySettings
    from reconciler.errors import SourceError
    from reconciler.state import StateStore

    if not args.yes:
        say("error: apply changes infrastructure; run it with --yes (see `goldenpath plan`)")
        return 1
    with StateStore.open(args.state) as store:
        try:
            snapshot = committed_snapshot(args.repo, args.ref, store)
        except SourceError as exc:
            return source_error(args, exc)
        with (
            open_cloud(args) as cloud,
            lint_cache(store) as linter,
            ApplyProgressView(enabled=args.output != "json") as view,
        ):
            engine = Reconciler(
                store,
                cloud,
                linter=linter,
                settings=ApplySettings(workers=args.workers),
                progress=view.update,
            )
            applied = engine.apply(snapshot)
    print_apply(applied, args.output)
    if applied.planned.build.errors or not applied.report.ok:
        return 1
    return 0
