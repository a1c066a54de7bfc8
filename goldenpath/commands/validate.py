"""``goldenpath validate [REPO]``: offline checks of the working tree. Exit 0 valid, 1 not."""

from __future__ import annotations

import argparse
from typing import Any

from goldenpath.workspace import add_repo_argument


def arguments(parser: argparse.ArgumentParser) -> None:
    add_repo_argument(parser)
    parser.add_argument(
        "--no-lint",
        action="store_true",
        help="render but skip cfn-lint (faster; lint still gates apply)",
    )


def run(args: argparse.Namespace) -> int:
    from goldenpath.output import emit_json, problem_lines, say
    from goldenpath.workspace import state_or_none, stored_memo, working_snapshot
    from reconciler.caching import StoredLintCache
    from reconciler.errors import SourceError
    from reconciler.render import Linter, Renderer
    from reconciler.validation import validate_snapshot

    with state_or_none(args.state) as store:
        try:
            snapshot = working_snapshot(args.repo, store)
        except SourceError as exc:
            return _unreadable(args, str(exc))
        cache = StoredLintCache(store) if store is not None else None
        linter = None if args.no_lint else Linter(cache)
        memo = stored_memo(store)
        result = validate_snapshot(snapshot, renderer=Renderer(), linter=linter, memo=memo)
        memo.flush()
        if cache is not None:
            cache.flush()
    units = [_unit_json(result.build.state.units[u]) for u in result.build.state.order]
    if args.output == "json":
        emit_json(
            {
                "ok": result.ok,
                "errors": [_problem_json(p) for p in result.errors],
                "warnings": [_problem_json(p) for p in result.problems if p.severity == "warning"],
                "units": units,
            }
        )
    else:
        for line in problem_lines(sorted(result.problems)):
            say(line)
        errors = len(result.errors)
        warnings = len(result.problems) - errors
        verdict = "valid" if result.ok else f"invalid: {errors} error(s)"
        say(f"{args.repo}: {verdict}, {warnings} warning(s), {len(units)} unit(s)")
    return 0 if result.ok else 1


def _unreadable(args: argparse.Namespace, reason: str) -> int:
    from goldenpath.output import emit_json, say

    problem = {"file": args.repo, "line": None, "field": "", "message": reason}
    if args.output == "json":
        emit_json({"ok": False, "errors": [problem], "warnings": [], "units": []})
    else:
        say(f"error: {args.repo}: {reason}")
    return 1


def _problem_json(p: Any) -> dict[str, Any]:
    return {"file": p.file, "line": p.line, "field": p.field, "message": p.message}


def _unit_json(unit: Any) -> dict[str, Any]:
    return {
        "id": unit.id,
        "kind": unit.kind,
        "template": unit.template,
        "version": unit.version.version,
        "stack_name": unit.stack_name,
        "account": unit.target.id,
        "region": unit.target.region,
    }
