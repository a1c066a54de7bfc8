"""Running the ``goldenpath`` command in a subprocess, as users and scripts do."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# A CLI run that hangs is a failure, not a stuck test session.
CLI_TIMEOUT_S = 120


@dataclass(frozen=True)
class Ran:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def goldenpath_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "goldenpath.cli", *args]


def cli_environment() -> dict[str, str]:
    """The test's environment without GOLDENPATH_* settings that would change the command."""
    return {k: v for k, v in os.environ.items() if not k.startswith("GOLDENPATH_")}


def goldenpath(*args: str, cwd: Path | None = None) -> Ran:
    done = subprocess.run(
        goldenpath_command(*args),
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
        cwd=cwd,
        env=cli_environment(),
    )
    return Ran(done.returncode, done.stdout, done.stderr)


def on_emulator(url: str, state: str) -> tuple[str, ...]:
    """Options that point a command at the test's emulator and state store."""
    return ("--cloud", "embedded", "--aws-endpoint-url", url, "--state", state)
