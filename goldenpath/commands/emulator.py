"""``goldenpath emulator [--host H] [--port P]``: the embedded AWS emulator, standalone.

Separate commands (plan, apply, status) share one emulated cloud through it:
``--aws-endpoint-url http://H:P``. Faults can be set at start with
GOLDENPATH_EMULATOR_FAULTS (a JSON list) or at any time on ``/_goldenpath/faults``.
"""

from __future__ import annotations

import argparse


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=4566, help="port to listen on")


def run(args: argparse.Namespace) -> int:
    from emulator import FaultError
    from emulator import run as serve_emulator
    from goldenpath.output import say

    try:
        serve_emulator(args.host, args.port)
    except FaultError as exc:
        say(f"error: GOLDENPATH_EMULATOR_FAULTS: {exc}")
        return 1
    except OSError as exc:
        say(f"error: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
        return 1
    return 0
