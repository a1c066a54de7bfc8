"""``validate`` and ``render`` of a working tree with a symbolic link out of the repo: both
fail with an error naming the link, and no byte of what it leads to reaches any output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.platform_repo import PlatformRepo, small_platform

GOLDENPATH = str(Path(sys.executable).parent / "goldenpath")
SECRET = "TOPSECRET-9e107d9d372bb6826bd81d3542a419d6"
TEMPLATE = "templates/env/v1/infrastructure/cloudformation.yaml"


def goldenpath(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """A real process whose environment holds the secret, as a CI runner's would."""
    return subprocess.run(
        [GOLDENPATH, *args, "--state", f"sqlite:///{cwd / 'state.db'}"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "GOLDENPATH_TEST_SECRET": SECRET},
    )


def linked(tmp_path: Path, target: str) -> PlatformRepo:
    repo = small_platform(tmp_path / "repo")
    (repo.root / TEMPLATE).unlink()
    os.symlink(target, repo.root / TEMPLATE)
    return repo


@pytest.fixture
def secret_file(tmp_path: Path) -> str:
    path = tmp_path / "credentials"
    path.write_text(f"Resources: {{}}\nDescription: {SECRET}\n")
    return str(path)


@pytest.mark.parametrize("target", ["secret_file", "/proc/self/environ"])
@pytest.mark.parametrize(
    "command",
    [
        ["validate", "--no-lint"],
        ["validate", "--no-lint", "--output", "json"],
        ["validate"],
        ["render", "environment/test"],
        ["render", "environment/test", "--output", "json"],
    ],
    ids=" ".join,
)
def test_a_template_linked_out_of_the_repo_fails_and_never_shows(
    tmp_path: Path, request: pytest.FixtureRequest, target: str, command: list[str]
) -> None:
    if target == "secret_file":
        target = request.getfixturevalue("secret_file")
    repo = linked(tmp_path, target)
    done = goldenpath(command[0], str(repo.root), *command[1:], cwd=tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode == 1
    assert f"{TEMPLATE} -> {target}" in output
    assert "symbolic links that lead out of the platform repo are refused" in output
    assert SECRET not in output


def test_the_same_repo_validates_once_the_link_is_a_file(tmp_path: Path) -> None:
    repo = linked(tmp_path, "/proc/self/environ")
    (repo.root / TEMPLATE).unlink()
    repo.git("checkout", "--", TEMPLATE)
    done = goldenpath("validate", str(repo.root), "--no-lint", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
