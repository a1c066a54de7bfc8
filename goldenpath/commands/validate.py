"""``goldenpath validate [REPO]``: offline checks of the working tree. Exit 0 valid, 1 not.

cfn-lint is CPU bound and takes tens of milliseconds a body, so the bodies whose results
are not cached yet are linted in a pool of processes, one per core; identical bodies
are linted once. Everything else comes from the content memo when it can.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from typing import Any

from goldenpath.workspace import LintPool, add_repo_argument

# Below this many bodies to lint, starting worker processes costs more than it saves.
MIN_POOL_JOBS = 16


def arguments(parser: argparse.ArgumentParser) -> None:
    add_repo_argument(parser)
    parser.add_argument(
        "--no-lint",
        action="store_true",
        help="render but skip cfn-lint (faster; lint still gates apply)",
    )
    parser.add_argument(
        "--lint-workers",
        type=int,
        default=os.cpu_count() or 1,
        help="processes that run cfn-lint on uncached bodies (default: one per core)",
    )
    parser.add_argument(
        "--watch",
        action="store_true",
        help="stay running and validate again after every change (Ctrl-C stops)",
    )


def run(args: argparse.Namespace) -> int:
    if args.watch:
        from goldenpath.commands.validate_watch import watch

        return watch(args, lambda result, seconds: _show(args, result, seconds))
    from goldenpath.output import emit_json, problem_lines, say
    from goldenpath.terraform_fmt import terraform_fmt
    from goldenpath.workspace import state_or_none, stored_memo, today, working_snapshot
    from reconciler.caching import StoredLintCache, StoredVerdictCache
    from reconciler.errors import SourceError
    from reconciler.guardrails import GuardrailSettings
    from reconciler.render import Linter, Renderer
    from reconciler.validation import validate_snapshot

    with state_or_none(args.state) as store:
        try:
            snapshot = working_snapshot(args.repo, store)
        except SourceError as exc:
            return _unreadable(args, str(exc))
        cache = StoredLintCache(store) if store is not None else None
        verdicts = StoredVerdictCache(store) if store is not None else None
        linter = None if args.no_lint else Linter(cache)
        memo = stored_memo(store)
        result = validate_snapshot(
            snapshot,
            renderer=Renderer(),
            linter=linter,
            memo=memo,
            lint_ahead=_lint_in_pool(args.lint_workers) if args.lint_workers > 1 else None,
            guardrails=GuardrailSettings(today(), verdicts),
            terraform_fmt=terraform_fmt,
        )
        memo.flush()
        if cache is not None:
            cache.flush()
        if verdicts is not None:
            verdicts.flush()
    result.problems.extend(_unset_variables(result))
    order = result.build.state.order
    if args.output == "json":
        emit_json(
            {
                "ok": result.ok,
                "errors": [_problem_json(p) for p in result.errors],
                "warnings": [_problem_json(p) for p in result.problems if p.severity == "warning"],
                "units": [_unit_json(result.build.state.units[u]) for u in order],
            }
        )
    else:
        for line in problem_lines(sorted(result.problems)):
            say(line)
        errors = len(result.errors)
        warnings = len(result.problems) - errors
        verdict = "valid" if result.ok else f"invalid: {errors} error(s)"
        say(f"{args.repo}: {verdict}, {warnings} warning(s), {len(order)} unit(s)")
    return 0 if result.ok else 1


def _show(args: argparse.Namespace, result: Any, seconds: float) -> None:
    """One result of ``--watch``: a JSON line, or the problems and a timed verdict."""
    from goldenpath.commands.validate_watch import json_line
    from goldenpath.output import problem_lines, say

    if args.output == "json":
        json_line(
            {
                "ok": result.ok,
                "errors": [_problem_json(p) for p in result.errors],
                "warnings": [_problem_json(p) for p in result.problems if p.severity == "warning"],
                "units": len(result.build.state.order),
                "seconds": round(seconds, 4),
            }
        )
        return
    for line in problem_lines(sorted(result.problems)):
        say(line)
    errors = len(result.errors)
    verdict = "valid" if result.ok else f"invalid: {errors} error(s)"
    say(f"{args.repo}: {verdict}, {len(result.build.state.order)} unit(s), {seconds * 1000:.0f} ms")


def _unset_variables(result: Any) -> list[Any]:
    """Notification targets whose variables this environment lacks: warnings (validate
    runs in CI and on laptops; ``serve`` needs them, and logs an error without)."""
    import os

    from reconciler.notifications import missing_variables

    targets = result.build.specs.platform.notifications
    return [m.problem() for m in missing_variables(targets, os.environ)]


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


def _lint_in_pool(workers: int) -> Any:
    """A ``LintAhead`` that lints the bodies missing from the cache in worker processes."""

    def ahead(linter: Any, jobs: Sequence[tuple[str, tuple[str, ...], str, str]]) -> None:
        if len(jobs) < MIN_POOL_JOBS:
            return
        with LintPool(workers) as pool:
            pool.lint_ahead(linter, jobs)

    return ahead
