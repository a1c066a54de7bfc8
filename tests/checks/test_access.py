"""Who may change what in a pull request, judged by teams.yaml on the base branch."""

from __future__ import annotations

from pathlib import Path

from reconciler.checks.access import check_access
from reconciler.specs.loader import load_specs
from reconciler.specs.model import Specs
from tests.support.platform_repo import small_platform, write_service


def specs_of(root: Path) -> Specs:
    files = {
        str(p.relative_to(root)): p.read_bytes()
        for p in root.rglob("*.yaml")
        if ".git" not in p.parts
    }
    return load_specs(files)[0]


def test_a_member_of_the_owning_team_may_change_its_service(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    base = specs_of(repo.root)
    assert check_access("gregg", ["services/web.yaml"], base, base) == []


def test_someone_else_may_not(tmp_path: Path) -> None:
    base = specs_of(small_platform(tmp_path).root)
    [problem] = check_access("priya", ["services/web.yaml"], base, base)
    assert problem.file == "services/web.yaml"
    assert "priya (payments) is not a member of team 'storefront'" in problem.message


def test_moving_a_service_to_ones_own_team_needs_both_teams(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    base = specs_of(repo.root)
    write_service(repo, "web", team="payments")
    head = specs_of(repo.root)
    problems = check_access("priya", ["services/web.yaml"], base, head)
    assert [p.message for p in problems] == [
        "priya (payments) is not a member of team 'storefront', which owns services/web.yaml"
    ]


def test_only_admins_change_templates_environments_and_platform_files(tmp_path: Path) -> None:
    base = specs_of(small_platform(tmp_path).root)
    changed = [
        "templates/svc/v1/schema/schema.yaml",
        "environments/test.yaml",
        "teams.yaml",
        "goldenpath.yaml",
    ]
    assert check_access("anna", changed, base, base) == []
    problems = check_access("gregg", changed, base, base)
    assert [p.file for p in problems] == changed
    assert all("only platform admins may" in p.message for p in problems)


def test_a_pr_cannot_make_its_author_an_admin(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    base = specs_of(repo.root)
    text = (
        (repo.root / "teams.yaml")
        .read_text()
        .replace("members: [anna, john]", "members: [anna, john, gregg]")
    )
    (repo.root / "teams.yaml").write_text(text)
    head = specs_of(repo.root)
    assert head.teams is not None and head.teams.is_admin("gregg")
    [problem] = check_access("gregg", ["teams.yaml"], base, head)
    assert problem.file == "teams.yaml"


def test_the_owning_team_may_change_its_service_components(tmp_path: Path) -> None:
    base = specs_of(small_platform(tmp_path).root)
    changed = ["services/web/components/queue/cloudformation.yaml"]

    assert check_access("gregg", changed, base, base) == []
    [problem] = check_access("priya", changed, base, base)
    assert problem.file == changed[0]
    assert "priya (payments) is not a member of team 'storefront'" in problem.message
