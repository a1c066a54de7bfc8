"""What the write-action commands share: who is acting, and how results are printed.

The command line acts with the state store's and the cloud's own credentials, so it needs
no token: the operator is named with ``--as`` (default ``$USER``) and recorded, marked
``(cli)``, in the unit's history.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from goldenpath.output import emit_json, say

STATE_MOVED = "the stack"


def add_actor_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("unit", help="a unit id, e.g. service/web/production")
    parser.add_argument(
        "--as",
        dest="actor",
        default=None,
        help="who is acting, as the unit's history records it (default: $USER)",
    )


def acting(args: argparse.Namespace, work: Callable[[Any], int]) -> int:
    """Run ``work(actor)``; a refused action or an unusable cloud or store is exit code 1."""
    from reconciler.actions import operator
    from reconciler.errors import GoldenpathError

    try:
        return work(operator(args.actor))
    except GoldenpathError as exc:
        if args.output == "json":
            emit_json({"unit": args.unit, "error": type(exc).__name__, "message": str(exc)})
        else:
            say(f"error: {exc}")
        return 1


def report(args: argparse.Namespace, document: dict[str, Any], lines: list[str]) -> None:
    if args.output == "json":
        emit_json(document)
    else:
        for line in lines:
            say(line)
