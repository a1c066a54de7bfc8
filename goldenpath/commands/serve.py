"""``goldenpath serve``: not built yet (see the open issues)."""

from __future__ import annotations

import argparse


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("rest", nargs="*", help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    import sys

    sys.stderr.write("goldenpath serve: not available in this build yet\n")
    return 1
