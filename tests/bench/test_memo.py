"""The content memo: reused work gives the same answers, and a change is never missed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from goldenpath.workspace import StoredContent
from reconciler.render import Renderer
from reconciler.source.worktree import WorkingTree
from reconciler.specs.memo import ContentMemo
from reconciler.state import StateStore
from reconciler.validation import Validation, validate_snapshot
from tests.conftest import EXAMPLE_REPO
from tests.support.platform_repo import (
    small_platform,
    write_environment,
    write_service,
    write_svc_template,
)


def validate(root: Path, memo: ContentMemo | None) -> Validation:
    result = validate_snapshot(WorkingTree(root).snapshot(), renderer=Renderer(), memo=memo)
    if memo is not None:
        memo.end_run()
    return result


def answers(result: Validation) -> tuple[Any, ...]:
    units = result.build.state.units
    return (
        sorted(map(str, result.problems)),
        list(result.build.state.order),
        {u: (units[u].version, dict(units[u].inputs), units[u].depends_on) for u in units},
        dict(result.build.state.denied),
        dict(result.build.state.invalid),
    )


def misses_of(root: Path, memo: ContentMemo) -> tuple[Validation, int]:
    memo.hits = memo.misses = 0
    result = validate(root, memo)
    return result, memo.misses


def test_a_memoized_validation_answers_as_a_fresh_one_on_the_example() -> None:
    memo = ContentMemo()
    first = validate(EXAMPLE_REPO, memo)
    again, misses = misses_of(EXAMPLE_REPO, memo)
    assert misses == 0
    assert answers(again) == answers(first) == answers(validate(EXAMPLE_REPO, None))


def test_an_unchanged_repo_reuses_everything_and_one_changed_file_redoes_only_it(
    tmp_path: Path,
) -> None:
    repo = small_platform(tmp_path)
    memo = ContentMemo()
    validate(repo.root, memo)
    assert misses_of(repo.root, memo)[1] == 0
    write_service(repo, "web", instances="- {name: test, environment: test, inputs: {size: 3}}")
    result, misses = misses_of(repo.root, memo)
    # web's spec file, its build and its one unit; orders and the environments are reused
    assert misses == 3
    assert result.build.state.units["service/web/test"].inputs["size"] == 3
    assert answers(result) == answers(validate(repo.root, None))


def test_an_error_brought_by_a_change_is_reported_and_gone_once_fixed(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    memo = ContentMemo()
    assert validate(repo.root, memo).ok
    write_service(repo, "web", instances="- {name: test, environment: nowhere}")
    broken = validate(repo.root, memo)
    assert any("environment 'nowhere' does not exist" in str(p) for p in broken.errors)
    write_service(repo, "web", instances="- {name: test, environment: test, inputs: {size: x}}")
    first, again = validate(repo.root, memo), validate(repo.root, memo)
    assert "service/web/test" in again.build.state.invalid  # replayed, not lost
    assert answers(again) == answers(first) == answers(validate(repo.root, None))
    write_service(repo, "web", instances="- {name: test, environment: test}")
    assert validate(repo.root, memo).ok


def test_a_change_to_a_bound_service_rebuilds_the_services_that_bind_it(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    memo = ContentMemo()
    validate(repo.root, memo)
    # orders' test instance is renamed: web's binding now points at another unit id
    write_service(
        repo,
        "orders",
        pipeline=True,
        instances="- {name: primary, environment: test}\n- {name: production, environment: "
        "production}",
    )
    result = validate(repo.root, memo)
    assert result.build.state.units["service/web/test"].depends_on == (
        "environment/test",
        "service/orders/primary",
    )
    assert answers(result) == answers(validate(repo.root, None))


def test_a_change_to_an_environment_is_seen_by_every_service(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    memo = ContentMemo()
    validate(repo.root, memo)
    write_environment(repo, "test", "222222222222")
    result = validate(repo.root, memo)
    assert result.build.state.units["service/web/test"].target.id == "222222222222"
    assert answers(result) == answers(validate(repo.root, None))


def test_an_uncommitted_template_change_is_seen(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    memo = ContentMemo()
    validate(repo.root, memo)
    write_svc_template(repo, env="other-env:1")  # no longer compatible with env:1
    result = validate(repo.root, memo)
    assert any("is not compatible with environment" in str(p) for p in result.errors)
    assert answers(result) == answers(validate(repo.root, None))


def test_a_binding_cycle_is_reported_with_a_memo_too(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    write_service(
        repo,
        "orders",
        instances="- {name: test, environment: test, bindings: {web: {service: web}}}",
    )
    memo = ContentMemo()
    first = validate(repo.root, memo)
    again = validate(repo.root, memo)
    assert any("bindings form a cycle" in str(p) for p in again.errors)
    assert answers(again) == answers(first) == answers(validate(repo.root, None))


def test_a_duplicate_service_name_is_reported_with_a_memo_too(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    repo.write("services/web-copy.yaml", (repo.root / "services/web.yaml").read_text())
    memo = ContentMemo()
    validate(repo.root, memo)
    again = validate(repo.root, memo)
    assert any("duplicate name 'web'" in str(p) for p in again.errors)
    assert answers(again) == answers(validate(repo.root, None))


def test_a_new_process_reuses_the_work_kept_in_the_state_store(tmp_path: Path) -> None:
    repo = small_platform(tmp_path / "repo")
    url = f"sqlite:///{tmp_path / 'state.db'}"
    with StateStore.open(url) as store:
        first = validate(repo.root, ContentMemo(StoredContent(store)))
    with StateStore.open(url) as store:
        memo = ContentMemo(StoredContent(store))
        again, misses = misses_of(repo.root, memo)
    assert misses == 0
    assert answers(again) == answers(first)


def test_units_read_back_from_the_state_store_keep_their_given_stack_names(
    tmp_path: Path,
) -> None:
    repo = small_platform(tmp_path / "repo")
    write_service(
        repo,
        "web",
        instances="- {name: test, environment: test, stackName: AWSProton-web-cloudformation-Q}\n",
    )
    repo.commit("web adopts Proton's stack")
    url = f"sqlite:///{tmp_path / 'state.db'}"
    with StateStore.open(url) as store:
        first = validate(repo.root, ContentMemo(StoredContent(store)))
    with StateStore.open(url) as store:
        again, misses = misses_of(repo.root, ContentMemo(StoredContent(store)))
    assert misses == 0
    web = again.build.state.units["service/web/test"]
    assert web.external
    assert web == first.build.state.units["service/web/test"]


def test_lint_problems_and_synthesized_outputs_are_reused(tmp_path: Path) -> None:
    from reconciler.render import Linter

    memo = ContentMemo()
    linter = Linter()
    snapshot = WorkingTree(EXAMPLE_REPO).snapshot()
    first = validate_snapshot(snapshot, renderer=Renderer(), linter=linter, memo=memo)
    memo.end_run()
    runs = linter.runs
    again = validate_snapshot(snapshot, renderer=Renderer(), linter=linter, memo=memo)
    assert linter.runs == runs  # nothing linted, nothing even looked up
    assert sorted(map(str, again.problems)) == sorted(map(str, first.problems))
    fresh = validate_snapshot(snapshot, renderer=Renderer(), linter=Linter())
    assert sorted(map(str, fresh.problems)) == sorted(map(str, first.problems))
