"""``goldenpath serve --repo PATH_OR_URL``: the reconciler, webhooks, JSON API and web page."""

from __future__ import annotations

import argparse
import os


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--repo",
        default=os.environ.get("GOLDENPATH_REPO", "."),
        help="the platform repo: a local path or a clone URL (GOLDENPATH_REPO)",
    )
    parser.add_argument(
        "--branch",
        default=os.environ.get("GOLDENPATH_BRANCH", "main"),
        help="the tracked branch (GOLDENPATH_BRANCH, default main)",
    )
    parser.add_argument(
        "--listen",
        default=os.environ.get("GOLDENPATH_LISTEN", "127.0.0.1:8080"),
        help="host:port of the HTTP server (GOLDENPATH_LISTEN)",
    )
    parser.add_argument(
        "--interval",
        type=float,
        default=float(os.environ.get("GOLDENPATH_INTERVAL", "60")),
        help="seconds between polls of the branch (GOLDENPATH_INTERVAL)",
    )


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from goldenpath.cloud import open_cloud
    from goldenpath.logs import configure
    from goldenpath.output import say
    from goldenpath.server import ServeOptions, redact, serve
    from reconciler.errors import GoldenpathError
    from reconciler.state import StateStore

    environ = dict(os.environ)
    configure(verbose=args.verbose, json_logs=args.output == "json", redact=redact(environ))
    host, _, port = args.listen.rpartition(":")
    if not host or not port.isdigit():
        say(f"error: --listen {args.listen!r}: expected host:port, e.g. 127.0.0.1:8080")
        return 1
    options = ServeOptions(
        repo=args.repo,
        branch=args.branch,
        host=host.strip("[]"),
        port=int(port),
        interval=args.interval,
        cache=Path(".goldenpath") / "repos",
    )
    try:
        with StateStore.open(args.state) as store, open_cloud(args) as cloud:
            return serve(options, store, cloud, environ)
    except GoldenpathError as exc:
        say(f"error: {exc}")
        return 1
