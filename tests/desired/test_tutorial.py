"""The Proton tutorial's two chapters, run as git history (the corpus must work unmodified)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.desired.build import build_desired
from reconciler.desired.rendering import pending_source, render_unit
from reconciler.render import Linter, Renderer
from reconciler.source.git import GitSource
from reconciler.validation import validate_snapshot
from tests.support import tutorial

pytestmark = pytest.mark.corpus

PRODUCTION = "service/my-webapp/frontend-production"
TEST = "service/my-webapp/frontend-test"


def render(repo_root: Path, unit_id: str, in_use: dict[str, str] | None = None) -> str:
    source = GitSource.open(repo_root)
    snapshot = source.snapshot("HEAD")
    build = build_desired(snapshot, in_use=in_use)
    assert build.errors == []
    return render_unit(build.state.units[unit_id], build.state, Renderer(), pending_source({})).body


def test_chapter_one_validates_with_lint(tmp_path: Path) -> None:
    repo = tutorial.chapter1(tmp_path)
    result = validate_snapshot(
        GitSource.open(repo.root).snapshot("HEAD"), renderer=Renderer(), linter=Linter()
    )
    assert result.ok, result.errors
    assert set(result.rendered) == {
        "environment/VPC-ECSCluster-Env-Test",
        "environment/VPC-ECSCluster-Env-Production",
        TEST,
        PRODUCTION,
        "pipeline/my-webapp",
    }


def test_chapter_two_makes_version_1_1_of_both_templates(tmp_path: Path) -> None:
    repo = tutorial.chapter1(tmp_path)
    tutorial.chapter2(repo)
    index = GitSource.open(repo.root).versions(repo.git("rev-parse", "HEAD"))
    for name in ("vpc-ecscluster-env", "lb-fargate-svc"):
        assert [v.version for v in index.of(name, 1)] == ["1.0", "1.1"]


def test_at_1_1_approval_only_for_production_and_exec_only_in_test(tmp_path: Path) -> None:
    repo = tutorial.chapter1(tmp_path)
    tutorial.chapter2(repo)
    pipeline = render(repo.root, "pipeline/my-webapp")
    assert pipeline.count("Name: Preproduction_Approval") == 1
    approval = pipeline.index("Preproduction_Approval")
    assert (
        pipeline.index("Deploy-frontend-test")
        < approval
        < pipeline.index("Deploy-frontend-production")
    )
    assert "EnableExecuteCommand: true" in render(repo.root, TEST)
    assert "EnableExecuteCommand" not in render(repo.root, PRODUCTION)
    assert "VPCFlowLog" in render(repo.root, "environment/VPC-ECSCluster-Env-Test")


def test_an_instance_pinned_to_1_0_renders_the_old_bundle(tmp_path: Path) -> None:
    repo = tutorial.chapter1(tmp_path)
    tutorial.chapter2(repo)
    tutorial.write_webapp(repo, version="1", production_version="1.0")
    repo.commit("keep production on 1.0")
    body = render(repo.root, PRODUCTION)
    assert "ECSTaskRole" not in body and 'TaskRoleArn: !Ref "AWS::NoValue"' in body
    assert "ECSTaskRole" in render(repo.root, TEST)


def test_manual_units_stay_on_their_version_until_the_spec_moves(tmp_path: Path) -> None:
    repo = tutorial.chapter1(tmp_path)
    tutorial.chapter2(repo)
    body = render(repo.root, TEST, in_use={TEST: "1.0"})
    assert "ECSTaskRole" not in body


def test_chapter_two_validates_with_lint(tmp_path: Path) -> None:
    repo = tutorial.chapter1(tmp_path)
    tutorial.chapter2(repo)
    result = validate_snapshot(
        GitSource.open(repo.root).snapshot("HEAD"), renderer=Renderer(), linter=Linter()
    )
    assert result.ok, result.errors
