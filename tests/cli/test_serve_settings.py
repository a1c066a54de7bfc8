"""serve reads forge settings from goldenpath.yaml; the environment wins; no secrets there."""

from __future__ import annotations

from pathlib import Path

from goldenpath.server import with_repo_settings
from reconciler.source.tracked import TrackedRepo
from tests.support.platform_repo import small_platform

PLATFORM = """
apiVersion: goldenpath.dev/v1
kind: Platform
metadata: {name: pizza-ananas}
spec:
  region: us-west-2
  forge: {provider: gitlab, url: "https://gitlab.pizza.example/api/v4",
          repo: platform/infra, branch: release}
"""


def tracked(tmp_path: Path) -> TrackedRepo:
    repo = small_platform(tmp_path / "repo")
    repo.write("goldenpath.yaml", PLATFORM)
    repo.commit("forge settings")
    return TrackedRepo.open(str(repo.root), "main", tmp_path / "cache")


def test_forge_settings_come_from_goldenpath_yaml(tmp_path: Path) -> None:
    repo = tracked(tmp_path)
    environ = with_repo_settings(
        repo, {"GOLDENPATH_FORGE_TOKEN": "t0ken-from-env"}, branch_given=False
    )
    assert environ["GOLDENPATH_FORGE"] == "gitlab"
    assert environ["GOLDENPATH_FORGE_URL"] == "https://gitlab.pizza.example/api/v4"
    assert environ["GOLDENPATH_FORGE_REPO"] == "platform/infra"
    assert environ["GOLDENPATH_BRANCH"] == "release" and repo.branch == "release"
    assert environ["GOLDENPATH_FORGE_TOKEN"] == "t0ken-from-env"


def test_the_environment_wins(tmp_path: Path) -> None:
    repo = tracked(tmp_path)
    environ = with_repo_settings(
        repo,
        {"GOLDENPATH_FORGE": "github", "GOLDENPATH_FORGE_REPO": "pizza/platform"},
        branch_given=True,
    )
    assert environ["GOLDENPATH_FORGE"] == "github"
    assert environ["GOLDENPATH_FORGE_REPO"] == "pizza/platform"
    assert repo.branch == "main" and environ["GOLDENPATH_BRANCH"] == "main"


def test_secrets_are_not_accepted_in_goldenpath_yaml(tmp_path: Path) -> None:
    from reconciler.specs.loader import load_specs

    text = PLATFORM.replace("branch: release}", "branch: release, token: abc}")
    _specs, [problem] = load_specs({"goldenpath.yaml": text.encode()})
    assert problem.field == "spec.forge.token" and "unknown field 'token'" in problem.message
