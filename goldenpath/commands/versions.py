"""``goldenpath versions [REPO] [--template NAME]``: versions derived from git history."""

from __future__ import annotations

import argparse

from goldenpath.workspace import add_repo_argument


def arguments(parser: argparse.ArgumentParser) -> None:
    add_repo_argument(parser)
    parser.add_argument("--template", help="only this template")


def run(args: argparse.Namespace) -> int:
    from goldenpath.output import emit_json, say, table
    from goldenpath.workspace import state_or_none, working_snapshot
    from reconciler.desired.catalog import Catalog
    from reconciler.errors import SourceError

    with state_or_none(args.state) as store:
        try:
            snapshot = working_snapshot(args.repo, store)
        except SourceError as exc:
            say(f"error: {exc}")
            return 1
    catalog = Catalog(snapshot)
    catalog.check_minor_bumps()
    index = snapshot.versions
    names = [args.template] if args.template else index.names()
    if args.template and args.template not in index.names():
        say(f"error: no template {args.template!r}; templates: {', '.join(index.names())}")
        return 1
    rows = []
    for name in names:
        recommended = catalog.recommended(name)
        for major in index.majors(name):
            for v in index.of(name, major):
                rows.append(
                    {
                        "name": name,
                        "type": v.kind,
                        "major": v.major,
                        "minor": v.minor,
                        "version": v.version,
                        "commit": v.commit,
                        "recommended": v == recommended,
                        "rejected": catalog.rejected.get(v),
                    }
                )
    if args.output == "json":
        emit_json({"templates": rows})
        return 0
    say(
        table(
            ["TEMPLATE", "TYPE", "VERSION", "COMMIT", ""],
            [
                [
                    r["name"],
                    r["type"],
                    r["version"],
                    str(r["commit"])[:12],
                    "recommended"
                    if r["recommended"]
                    else (f"rejected: {r['rejected']}" if r["rejected"] else ""),
                ]
                for r in rows
            ],
        )
    )
    return 0
