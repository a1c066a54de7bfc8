"""Plans made again and again with kept renders: a unit renders again only when
something its render reads changed, and every plan equals a fresh one."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from reconciler.desired.render_memo import RenderMemo
from reconciler.plan.model import Plan, Recorded
from reconciler.plan.planning import plan_snapshot
from reconciler.render import Renderer
from reconciler.source.git import GitSource
from reconciler.specs.memo import ContentMemo
from tests.support.platform_repo import PlatformRepo, small_platform, write_service


class Planner:
    """Plans as ``serve`` makes them (memo, kept renders), each checked against a fresh one."""

    def __init__(self, repo: PlatformRepo) -> None:
        self.source = GitSource.open(repo.root)
        self.memo = ContentMemo()
        self.renders = RenderMemo()
        self.renderer = Renderer()

    def plan(self, recorded: Mapping[str, Recorded] | None = None) -> set[str]:
        """Plan HEAD; returns the ids of the units rendered again."""
        snapshot = self.source.snapshot("HEAD")
        recorded = recorded or {}
        self.renders.misses = 0
        before = dict(self.renders._kept)
        kept = plan_snapshot(
            snapshot, recorded, renderer=self.renderer, memo=self.memo, renders=self.renders
        ).plan
        fresh = plan_snapshot(snapshot, recorded, renderer=Renderer()).plan
        assert kept == fresh
        return {
            unit_id
            for unit_id, (_reads, rendered) in self.renders._kept.items()
            if unit_id not in before or before[unit_id][1] is not rendered
        }


def _recorded(plan: Plan, outputs: Mapping[str, Mapping[str, str]]) -> dict[str, Recorded]:
    """Every planned unit as deployed, with ``outputs`` where given."""
    return {
        item.unit_id: Recorded(
            id=item.unit_id,
            kind=item.kind,
            stack_name=item.stack_name,
            account=item.target.id,
            region=item.target.region,
            template=item.template,
            version=item.to_version or "",
            fingerprint="deployed",
            outputs=dict(outputs.get(item.unit_id, {})),
        )
        for item in plan.units
    }


@pytest.fixture
def repo(tmp_path: Path) -> PlatformRepo:
    return small_platform(tmp_path)


def test_the_first_plan_renders_every_unit_and_the_next_none(repo: PlatformRepo) -> None:
    planner = Planner(repo)
    assert planner.plan() == {
        "environment/test",
        "environment/production",
        "service/orders/test",
        "service/orders/production",
        "service/web/test",
        "pipeline/orders",
    }
    repo.commit("nothing changed")
    assert planner.plan() == set()


def test_a_changed_service_renders_its_units_and_what_reads_them(repo: PlatformRepo) -> None:
    planner = Planner(repo)
    planner.plan()
    write_service(
        repo,
        "orders",
        pipeline=True,
        instances="""
        - name: test
          environment: test
          inputs: {size: 5}
        - name: production
          environment: production
    """,
    )
    repo.commit("orders: size 5")
    # The pipeline reads the instances' inputs. web binds orders, so its build is redone
    # too (a service's key covers the services it binds): a new unit, rendered again.
    assert planner.plan() == {
        "service/orders/test",
        "service/orders/production",
        "pipeline/orders",
        "service/web/test",
    }
    write_service(repo, "web", instances="- {name: test, environment: test, inputs: {size: 4}}")
    repo.commit("web: size 4, no binding")
    assert planner.plan() == {"service/web/test"}


OUTPUTS = {
    "environment/test": {"VpcId": "vpc-1"},
    "environment/production": {"VpcId": "vpc-2"},
    "service/orders/test": {"QueueUrl": "q-test"},
    "service/orders/production": {"QueueUrl": "q-production"},
}


def test_changed_outputs_render_the_units_that_read_them(repo: PlatformRepo) -> None:
    planner = Planner(repo)
    planner.plan()
    first = plan_snapshot(GitSource.open(repo.root).snapshot("HEAD"), {}, renderer=Renderer())
    planner.plan(_recorded(first.plan, OUTPUTS))  # versions in use recorded: built anew
    assert planner.plan(_recorded(first.plan, OUTPUTS)) == set()
    moved = {**OUTPUTS, "environment/test": {"VpcId": "vpc-3"}}
    assert planner.plan(_recorded(first.plan, moved)) == {
        "service/orders/test",
        "service/web/test",
        "pipeline/orders",
    }
    bound = {**moved, "service/orders/test": {"QueueUrl": "q-new"}}
    assert planner.plan(_recorded(first.plan, bound)) == {"service/web/test", "pipeline/orders"}


def test_a_unit_gone_from_the_repo_is_forgotten(repo: PlatformRepo) -> None:
    planner = Planner(repo)
    planner.plan()
    repo.remove("services/web.yaml")
    repo.commit("web goes")
    planner.plan()
    assert "service/web/test" not in planner.renders._kept
