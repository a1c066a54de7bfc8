"""Checks of one pull request after another, by a runner that keeps its memos: each
outcome equals what a fresh runner finds for the same head."""

from __future__ import annotations

from pathlib import Path

from reconciler.checks.runner import ChangeChecks, CheckOutcome
from reconciler.events import ChangeAction, ChangeRequest
from reconciler.render import Renderer
from reconciler.source.tracked import TrackedRepo
from reconciler.state import StateStore
from tests.support.platform_repo import PlatformRepo, small_platform, write_service


def _request(number: int, head: str) -> ChangeRequest:
    return ChangeRequest(
        forge="github",
        repo="pizza-ananas/platform",
        number=number,
        action=ChangeAction.UPDATED,
        head_sha=head,
        head_ref=f"change-{number}",
        base_ref="main",
        author="gregg",
        delivery_id=f"delivery-{number}-{head[:7]}",
        title="a change",
        url=f"https://github.com/pizza-ananas/platform/pull/{number}",
    )


def _runner(repo: PlatformRepo, store: StateStore, cache: Path) -> ChangeChecks:
    tracked = TrackedRepo.open(str(repo.root), "main", cache)
    return ChangeChecks(
        tracked, store, None, renderer=Renderer(), linter=None, public_url="http://gp"
    )


def _outcome(runner: ChangeChecks, request: ChangeRequest) -> CheckOutcome:
    found = runner.check(request)
    assert found is not None
    return found


def test_a_kept_runner_finds_what_a_fresh_one_finds_push_after_push(tmp_path: Path) -> None:
    repo = small_platform(tmp_path / "repo")
    store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")
    kept = _runner(repo, store, tmp_path / "cache")
    repo.git("checkout", "-q", "-b", "change-1")
    heads = []
    write_service(repo, "web", instances="- {name: test, environment: test, inputs: {size: 4}}")
    heads.append(repo.commit("web: size 4"))
    write_service(repo, "web", template="nope")
    heads.append(repo.commit("web: a template that does not exist"))
    write_service(repo, "api", instances="- {name: test, environment: production}")
    write_service(repo, "web")
    heads.append(repo.commit("web back, api added"))
    for number, head in enumerate(heads, start=1):
        request = _request(number, head)
        assert _outcome(kept, request) == _outcome(_runner(repo, store, tmp_path / "c2"), request)
    assert not _outcome(kept, _request(9, heads[1])).valid  # back to the broken head
    store.close()
