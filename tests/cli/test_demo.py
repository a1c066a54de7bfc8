"""``goldenpath demo``'s repo: the example on main, each prepared pull request a branch."""

from __future__ import annotations

import subprocess
from pathlib import Path

from goldenpath.commands.demo import _copy_example, _next_steps


def git(repo: Path, *arguments: str) -> str:
    done = subprocess.run(["git", *arguments], cwd=repo, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def test_the_app_runner_swap_is_one_commit_ready_to_merge(tmp_path: Path) -> None:
    repo = tmp_path / "repo"

    _copy_example(repo)

    assert git(repo, "branch", "--show-current") == "main"
    assert not (repo / "proposed").exists()
    branch = "private-web-svc-on-app-runner"
    assert git(repo, "rev-list", "--count", f"main..{branch}") == "1"
    assert git(repo, "log", "-1", "--format=%s", branch) == (
        "private-web-svc 1.1: App Runner instead of ECS/Fargate"
    )
    changed = git(repo, "diff", "--name-only", "main", branch).splitlines()
    assert changed == ["templates/private-web-svc/v1/instance_infrastructure/cloudformation.yaml"]
    assert "git merge private-web-svc-on-app-runner" in _next_steps(repo, "s", "u", "l:1")
