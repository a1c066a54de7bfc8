"""The ``goldenpath`` command: parse arguments, then import only the command that runs.

Start-up is kept lean on purpose: a run that finds nothing to do must not pay for
importing boto3, SQLAlchemy or cfn-lint. Each command lives in its own module under
``goldenpath.commands`` and is imported when chosen.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

DESCRIPTION = (
    "Goldenpath: versioned Proton templates and specs in git, validated, planned and "
    "applied through CloudFormation."
)

COMMANDS = {
    "validate": "offline checks: schemas, templates, versions, access, compatibility, render, "
    "guardrails, lint",
    "render": "print the rendered template of one unit, e.g. service/my-webapp/test",
    "versions": "template versions derived from git history",
    "plan": "desired state against recorded state (and live with --refresh)",
    "apply": "make the cloud match the repo",
    "status": "units, their conditions, versions and outputs",
    "history": "the deployment history of one unit",
    "policy": "guardrail policies: `policy test` runs the Rego tests of policies/",
    "cancel": "cancel a unit's stack update in progress and wait for its rollback",
    "retry": "try a failed unit again now instead of at the next commit",
    "continue-update-rollback": "finish a rollback that failed, skipping named resources",
    "token": "create, list and revoke the API tokens of teams and admins",
    "notify": "report a Terraform run's outcome and outputs to Goldenpath (from the workflow)",
    "serve": "the long-running reconciler, webhooks, API and web page",
    "demo": "the embedded emulator, SQLite and the example repo, served on 127.0.0.1:8080",
    "emulator": "the embedded AWS emulator as a standalone process",
    "import": "write a platform repo that adopts the stacks AWS Proton left in the accounts",
}
# Commands whose module name differs from the command (``import`` is a Python keyword).
MODULES = {"import": "import_", "continue-update-rollback": "continue_update_rollback"}


def _module(name: str) -> str:
    return f"goldenpath.commands.{MODULES.get(name, name)}"


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"GOLDENPATH_{name}", default)


def common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--output",
        choices=["human", "json"],
        default=_env("OUTPUT", "human"),
        help="human (default) or json for scripts",
    )
    parser.add_argument(
        "--state",
        default=_env("STATE", "sqlite:///.goldenpath/state.db"),
        help="state store URL (GOLDENPATH_STATE)",
    )
    parser.add_argument(
        "--cloud",
        choices=["embedded", "aws"],
        default=_env("CLOUD", "aws"),
        help="embedded emulator or AWS (GOLDENPATH_CLOUD)",
    )
    parser.add_argument(
        "--aws-endpoint-url",
        default=_env("AWS_ENDPOINT_URL"),
        help="CloudFormation/STS endpoint, e.g. a standalone emulator "
        "(GOLDENPATH_AWS_ENDPOINT_URL)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logs on stderr")


def parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command line; with ``only``, just that command's options are set up.

    Each command's options come from its module, so setting up all of them imports
    every command; a run of one command imports that one alone.
    """
    root = argparse.ArgumentParser(prog="goldenpath", description=DESCRIPTION)
    sub = root.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, text in COMMANDS.items():
        command = sub.add_parser(name, help=text, description=text)
        if only is None or name == only:
            common(command)
            module = importlib.import_module(_module(name))
            module.arguments(command)
    return root


def configure_logs(args: argparse.Namespace) -> None:
    from goldenpath.logs import configure

    configure(verbose=args.verbose, json_logs=args.output == "json")


def main(argv: Sequence[str] | None = None) -> int:
    given = list(sys.argv[1:] if argv is None else argv)
    chosen = next((a for a in given if not a.startswith("-")), None)
    args = parser(chosen if chosen in COMMANDS else None).parse_args(given)
    module = importlib.import_module(_module(args.command))
    # A command that can finish without logging (a no-op) sets logging up itself, when
    # it first needs it: structlog is then never imported by a run with nothing to do.
    if not getattr(module, "CONFIGURES_LOGS", False):
        configure_logs(args)
    try:
        code: int = module.run(args)
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
