"""``goldenpath validate`` and notification targets: a bad setting is an error at its line;
a variable this environment lacks is a warning there (CI and laptops need no secrets)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support.platform_repo import small_platform

GOLDENPATH = str(Path(sys.executable).parent / "goldenpath")
TARGET = "    - {name: ops-slack, format: %s, urlFrom: VALIDATE_SLACK_URL, events: [%s]}\n"


def validate(tmp_path: Path, format_: str, event: str, env: dict[str, str]) -> tuple[int, dict]:  # type: ignore[type-arg]
    repo = small_platform(tmp_path / "repo")
    repo.write(
        "goldenpath.yaml",
        "apiVersion: goldenpath.dev/v1\nkind: Platform\nmetadata: {name: p}\nspec:\n"
        "  notifications:\n" + TARGET % (format_, event),
    )
    repo.commit("notifications")
    base = {k: v for k, v in os.environ.items() if not k.startswith(("GOLDENPATH_", "VALIDATE_"))}
    done = subprocess.run(
        [
            GOLDENPATH,
            "validate",
            str(repo.root),
            "--no-lint",
            "--output",
            "json",
            "--state",
            f"sqlite:///{tmp_path / 'state.db'}",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**base, **env},
    )
    return done.returncode, json.loads(done.stdout)


def test_a_missing_variable_is_a_warning_at_the_targets_line(tmp_path: Path) -> None:
    code, out = validate(tmp_path, "slack", "deploy.failed", {})

    assert code == 0 and out["ok"] is True
    (warning,) = out["warnings"]
    assert (warning["file"], warning["line"], warning["field"]) == (
        "goldenpath.yaml",
        6,
        "spec.notifications[0].urlFrom",
    )
    assert "VALIDATE_SLACK_URL (urlFrom) is not set" in warning["message"]


def test_with_the_variable_set_there_is_nothing_to_say(tmp_path: Path) -> None:
    code, out = validate(tmp_path, "slack", "deploy.failed", {"VALIDATE_SLACK_URL": "https://x"})

    assert (code, out["warnings"]) == (0, [])


def test_an_unknown_event_is_an_error_at_its_line(tmp_path: Path) -> None:
    code, out = validate(tmp_path, "slack", "deploy.exploded", {"VALIDATE_SLACK_URL": "https://x"})

    assert code == 1
    (error,) = out["errors"]
    assert (error["file"], error["line"], error["field"]) == (
        "goldenpath.yaml",
        6,
        "spec.notifications[0].events[0]",
    )
    assert "'deploy.exploded' is not allowed" in error["message"]
