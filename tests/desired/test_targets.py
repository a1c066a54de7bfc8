"""No unit is aimed at an account whose role belongs to another account.

The loader reports the role once, at its line (tests/specs/test_accounts.py); the build
then leaves every unit aimed there unbuilt, with the reason, so that neither ``plan`` nor
``apply`` ever sends a stack to the role's account.
"""

from __future__ import annotations

from pathlib import Path

from reconciler.desired.build import build_desired
from reconciler.plan.diff import make_plan
from reconciler.render import Renderer
from reconciler.source.worktree import WorkingTree
from reconciler.specs.model import PruneRules
from tests.support.platform_repo import PlatformRepo, small_platform

OTHER = "999999999999"
PIPELINES = """
apiVersion: goldenpath.dev/v1
kind: Platform
metadata: {name: pizza-ananas}
spec:
  pipelines:
    account: {id: "444444444444", roleArn: "ROLE"}
"""


def build(repo: PlatformRepo):  # type: ignore[no-untyped-def]
    return build_desired(WorkingTree(repo.root).snapshot())


def aimed_at(result) -> set[str]:  # type: ignore[no-untyped-def]
    return {unit.target.id for unit in result.state.units.values()}


def role_of(repo: PlatformRepo, env: str, account: str) -> None:
    path = repo.root / f"environments/{env}.yaml"
    path.write_text(path.read_text().replace(f"iam::{account}:", f"iam::{OTHER}:"))


def test_an_environment_with_a_role_of_another_account_gets_no_unit(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    role_of(repo, "test", "111111111111")
    result = build(repo)
    [problem] = result.errors
    assert (problem.file, problem.field) == ("environments/test.yaml", "spec.account.roleArn")
    # Neither the environment nor anything in it is built; production still is.
    assert aimed_at(result) == {"333333333333"}
    for unit_id in ("environment/test", "service/orders/test", "service/web/test"):
        assert f"role is in account {OTHER}" in result.state.invalid[unit_id]
    assert "service/orders/production" in result.state.units


def test_such_units_are_blocked_in_the_plan(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    role_of(repo, "test", "111111111111")
    plan = make_plan(build(repo).state, {}, renderer=Renderer(), prune=PruneRules())
    for unit_id in ("environment/test", "service/web/test"):
        unit = plan.of(unit_id)
        assert unit is not None and unit.action == "blocked"
    assert all(u.target.id != OTHER for u in plan.units)


def test_a_pipelines_role_of_another_account_gets_no_pipeline(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    repo.write("goldenpath.yaml", PIPELINES.replace("ROLE", f"arn:aws:iam::{OTHER}:role/d"))
    result = build(repo)
    [problem] = result.errors
    assert (problem.file, problem.line, problem.field) == (
        "goldenpath.yaml",
        6,
        "spec.pipelines.account.roleArn",
    )
    assert "pipeline/orders" not in result.state.units
    assert OTHER not in aimed_at(result)


def test_while_goldenpath_yaml_is_invalid_no_unit_is_built(tmp_path: Path) -> None:
    # Not a role at all: the schema refuses goldenpath.yaml. Its defaults would send the
    # pipeline to the first instance's account, so nothing is built until it is fixed.
    repo = small_platform(tmp_path)
    repo.write("goldenpath.yaml", PIPELINES.replace("ROLE", "arn:aws:iam::444444444444:user/d"))
    result = build(repo)
    [problem] = result.errors
    assert problem.field == "spec.pipelines.account.roleArn"
    assert result.state.units == {}
    assert "goldenpath.yaml is in error" in result.state.invalid["pipeline/orders"]
    assert result.state.incomplete  # so nothing recorded may be deleted either


def test_roles_of_their_own_accounts_build_as_before(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    repo.write("goldenpath.yaml", PIPELINES.replace("ROLE", "arn:aws:iam::444444444444:role/d"))
    result = build(repo)
    assert result.errors == []
    assert result.state.units["pipeline/orders"].target.id == "444444444444"
