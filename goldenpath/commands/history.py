"""``goldenpath history UNIT``: the unit's deployments, newest first."""

from __future__ import annotations

import argparse


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("unit", help="a unit id, e.g. service/web/test")
    parser.add_argument("--limit", type=int, default=50)


def run(args: argparse.Namespace) -> int:
    from goldenpath.output import emit_json, say, table
    from reconciler.report.status import history_document
    from reconciler.state import StateStore

    with StateStore.open(args.state) as store:
        document = history_document(store, args.unit, args.limit)
        known = store.unit(args.unit) is not None
    if not document["deployments"] and not known:
        say(f"error: no unit {args.unit!r} and no history for it in {args.state}")
        return 1
    if args.output == "json":
        emit_json(document)
        return 0
    say(
        table(
            ["ID", "REVISION", "VERSION", "STATUS", "STARTED", "FINISHED", "BY", "MESSAGE"],
            [
                [
                    d["id"],
                    (d["revision"] or "")[:12],
                    d["version"],
                    d["status"],
                    d["started_at"],
                    d["finished_at"] or "",
                    f"{d['actor']} ({d['action']})" if d["action"] else d["actor"],
                    d["message"],
                ]
                for d in document["deployments"]
            ],
        )
    )
    return 0
