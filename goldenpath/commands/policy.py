"""``goldenpath policy test [REPO]``: run the Rego tests of the platform repo's policies/.

Exit 0 when every test passes (or there are none), 1 when one fails or errs, or when the
policies or their data cannot be loaded.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from goldenpath.workspace import add_repo_argument


def arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="policy_command", metavar="ACTION", required=True)
    test = sub.add_parser(
        "test",
        help="run the test_* rules of policies/ (human or --output json; exit 0 or 1)",
        description="Run the Rego tests (test_* rules) of the repo's policies/.",
    )
    add_repo_argument(test)
    # The common options are also taken after the action (`policy test . --output json`);
    # suppressed defaults, so that they never undo the same options given before it.
    test.add_argument("--output", choices=["human", "json"], default=argparse.SUPPRESS)
    test.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    from goldenpath.output import emit_json, say
    from reconciler.errors import SourceError
    from reconciler.guardrails import load_policies, run_tests

    try:
        files = policy_files(Path(args.repo))
    except SourceError as exc:
        if args.output == "json":
            emit_json({"ok": False, "error": str(exc)})
        else:
            say(f"error: {exc}")
        return 1
    report = run_tests(load_policies(files))
    if args.output == "json":
        emit_json(
            {
                "ok": report.ok,
                "passed": report.count("pass"),
                "failed": report.count("fail"),
                "errors": report.count("error"),
                "results": [r.to_json() for r in report.results],
                "problems": [p.as_dict() for p in report.problems],
            }
        )
        return 0 if report.ok else 1
    for problem in report.problems:
        say(f"error: {problem}")
    for result in report.results:
        say(_line(result))
    if not report.results and not report.problems:
        say(f"{args.repo}: no test_* rules under policies/")
    say(
        f"{report.count('pass')} passed, {report.count('fail')} failed, "
        f"{report.count('error')} errors"
    )
    return 0 if report.ok else 1


def _line(result: Any) -> str:
    label = {"pass": "PASS", "fail": "FAIL", "error": "ERROR"}[result.outcome]
    text = f"{label:<5} {result.file}:{result.line} {result.package}.{result.name}"
    return f"{text}: {result.message}" if result.message else text


def policy_files(repo: Path) -> dict[str, bytes]:
    """The files under ``repo/policies``, by repo-relative path; a file (or symlink)
    that resolves outside the repo is refused."""
    from reconciler.errors import SourceError
    from reconciler.guardrails import POLICY_DIR

    root = repo.resolve()
    if not root.is_dir():
        raise SourceError(f"{repo} is not a directory")
    folder = root / POLICY_DIR.rstrip("/")
    files: dict[str, bytes] = {}
    if not folder.is_dir():
        return files
    for path in sorted(folder.rglob("*")):
        if path.is_dir():
            continue
        resolved = path.resolve()
        if not resolved.is_relative_to(root):
            raise SourceError(f"{path.relative_to(root)} resolves outside the repo; refused")
        files[path.relative_to(root).as_posix()] = resolved.read_bytes()
    return files
