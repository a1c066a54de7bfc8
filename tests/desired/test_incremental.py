"""A build (and a validation) redone from the last one equals a fresh one, change by change."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.desired.build import Build, build_desired
from reconciler.desired.incremental import Rebuilt, build_reusing
from reconciler.render import Renderer
from reconciler.source.worktree import WorkingTree
from reconciler.specs.memo import ContentMemo
from reconciler.validation import Validation, validate_snapshot
from tests.support.platform_repo import (
    PlatformRepo,
    small_platform,
    write_environment,
    write_service,
    write_svc_template,
)

Change = Callable[[PlatformRepo], None]


def _input(repo: PlatformRepo) -> None:
    write_service(repo, "web", instances="- {name: test, environment: test, inputs: {size: 3}}")


def _new_service(repo: PlatformRepo) -> None:
    write_service(repo, "api", instances="- {name: test, environment: production}")


def _deleted_service(repo: PlatformRepo) -> None:
    repo.remove("services/web.yaml")


def _renamed_service(repo: PlatformRepo) -> None:
    text = (repo.root / "services/web.yaml").read_text()
    repo.write("services/web.yaml", text.replace("name: web,", "name: shop,"))


def _bound_service_renames_its_instance(repo: PlatformRepo) -> None:
    write_service(
        repo,
        "orders",
        pipeline=True,
        instances="- {name: primary, environment: test}\n- {name: production, environment: "
        "production}",
    )


def _bound_service_removed(repo: PlatformRepo) -> None:
    repo.remove("services/orders.yaml")


def _broken_service(repo: PlatformRepo) -> None:
    write_service(repo, "web", instances="- {name: test, environment: nowhere}")


def _invalid_input(repo: PlatformRepo) -> None:
    write_service(repo, "web", instances="- {name: test, environment: test, inputs: {size: x}}")


def _unparsable_service(repo: PlatformRepo) -> None:
    repo.write("services/web.yaml", "kind: Service\nmetadata: [unclosed\n")


def _new_instance(repo: PlatformRepo) -> None:
    write_service(
        repo,
        "web",
        instances="- {name: test, environment: test}\n- {name: production, environment: "
        "production}",
    )


def _binding_cycle(repo: PlatformRepo) -> None:
    write_service(
        repo,
        "orders",
        instances="- {name: test, environment: test, bindings: {web: {service: web}}}",
    )


def _name_defined_twice(repo: PlatformRepo) -> None:
    repo.write("services/web-copy.yaml", (repo.root / "services/web.yaml").read_text())


def _repeated_instance_name(repo: PlatformRepo) -> None:
    write_service(
        repo,
        "web",
        instances="- {name: test, environment: test}\n- {name: test, environment: production}",
    )


def _role_of_another_account(repo: PlatformRepo) -> None:
    text = (repo.root / "environments/test.yaml").read_text()
    repo.write("environments/test.yaml", text.replace("iam::111111111111:", "iam::999999999999:"))


def _pipelines_role_of_another_account(repo: PlatformRepo) -> None:
    repo.write(
        "goldenpath.yaml",
        """
        apiVersion: goldenpath.dev/v1
        kind: Platform
        metadata: {name: pizza}
        spec:
          pipelines:
            account: {id: "444444444444", roleArn: "arn:aws:iam::999999999999:role/d"}
        """,
    )


def _environment(repo: PlatformRepo) -> None:
    write_environment(repo, "test", "222222222222")


def _new_environment(repo: PlatformRepo) -> None:
    write_environment(repo, "staging", "555555555555")


def _teams(repo: PlatformRepo) -> None:
    text = (repo.root / "teams.yaml").read_text()
    repo.write("teams.yaml", text.replace('environments: ["*"]}', "environments: [production]}"))


def _platform(repo: PlatformRepo) -> None:
    repo.write(
        "goldenpath.yaml",
        """
        apiVersion: goldenpath.dev/v1
        kind: Platform
        metadata: {name: pizza}
        spec:
          region: eu-west-1
          data_templates: [svc]
        """,
    )


def _uncommitted_template(repo: PlatformRepo) -> None:
    write_svc_template(repo, env="other-env:1")


def _committed_template(repo: PlatformRepo) -> None:
    path = "templates/svc/v1/instance_infrastructure/cloudformation.yaml"
    text = (repo.root / path).read_text()
    repo.write(
        path, text.replace("DelaySeconds:", "MessageRetentionPeriod: 600\n      DelaySeconds:")
    )
    repo.commit("svc 1.1")


def _file_that_is_no_spec(repo: PlatformRepo) -> None:
    repo.write("README.md", "# The platform\n")


def _nothing(repo: PlatformRepo) -> None:
    pass


CHANGES: dict[str, Change] = {
    "an input of a service": _input,
    "a new service file": _new_service,
    "a deleted service file": _deleted_service,
    "a service renamed in its file": _renamed_service,
    "a bound service renames its instance": _bound_service_renames_its_instance,
    "a bound service removed": _bound_service_removed,
    "a service naming a missing environment": _broken_service,
    "an input of the wrong type": _invalid_input,
    "a service file that does not parse": _unparsable_service,
    "a new instance": _new_instance,
    "a binding cycle": _binding_cycle,
    "a service name defined twice": _name_defined_twice,
    "an instance name written twice": _repeated_instance_name,
    "an environment role of another account": _role_of_another_account,
    "a pipelines role of another account": _pipelines_role_of_another_account,
    "an environment": _environment,
    "a new environment": _new_environment,
    "teams.yaml": _teams,
    "goldenpath.yaml": _platform,
    "an uncommitted template": _uncommitted_template,
    "a committed template": _committed_template,
    "a file that is no spec": _file_that_is_no_spec,
    "nothing": _nothing,
}
# Changes to service files only: the build is redone from the last one.
IN_SERVICES = {
    "an input of a service",
    "a new service file",
    "a deleted service file",
    "a service renamed in its file",
    "a bound service renames its instance",
    "a bound service removed",
    "a service naming a missing environment",
    "an input of the wrong type",
    "a service file that does not parse",
    "a new instance",
    "a binding cycle",
    "an instance name written twice",
    "a file that is no spec",
    "nothing",
}


def fresh(root: Path) -> Build:
    return build_desired(WorkingTree(root).snapshot())


def rebuild(tree: WorkingTree, memo: ContentMemo) -> Rebuilt:
    rebuilt = build_reusing(tree.snapshot(), memo)
    memo.end_run()
    return rebuilt


def assert_same(build: Build, expected: Build) -> None:
    assert build.problems == expected.problems  # the same problems, in the same order
    assert list(build.state.units.items()) == list(expected.state.units.items())
    assert build.state.order == expected.state.order
    assert list(build.state.denied.items()) == list(expected.state.denied.items())
    assert list(build.state.invalid.items()) == list(expected.state.invalid.items())
    assert build.state.incomplete == expected.state.incomplete
    assert build.specs == expected.specs
    assert list(build.specs.services) == list(expected.specs.services)


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_a_build_after_a_change_equals_a_fresh_build(tmp_path: Path, change: Change) -> None:
    repo = small_platform(tmp_path)
    tree, memo = WorkingTree(repo.root), ContentMemo()
    rebuild(tree, memo)
    change(repo)
    again = rebuild(tree, memo)
    assert_same(again.build, fresh(repo.root))
    # and the unit keys are those a memo starting afresh gives
    assert again.build.unit_keys == rebuild(WorkingTree(repo.root), ContentMemo()).build.unit_keys


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_only_a_change_to_service_files_is_built_from_the_last_build(
    tmp_path: Path, name: str
) -> None:
    repo = small_platform(tmp_path)
    tree, memo = WorkingTree(repo.root), ContentMemo()
    first = rebuild(tree, memo)
    CHANGES[name](repo)
    again = rebuild(tree, memo)
    assert (again.since is first.token) == (name in IN_SERVICES)


def test_an_edited_service_and_the_services_binding_it_are_all_that_is_built_again(
    tmp_path: Path,
) -> None:
    repo = small_platform(tmp_path)
    write_service(repo, "api", instances="- {name: test, environment: production}")
    tree, memo = WorkingTree(repo.root), ContentMemo()
    rebuild(tree, memo)
    write_service(
        repo,
        "orders",
        pipeline=True,
        instances="- {name: test, environment: test, inputs: {size: 5}}\n"
        "- {name: production, environment: production}",
    )
    again = rebuild(tree, memo)
    # orders' units, and web's, which binds orders; neither api nor the environments
    assert again.changed == {
        "service/orders/test",
        "service/orders/production",
        "pipeline/orders",
        "service/web/test",
    }
    assert_same(again.build, fresh(repo.root))


def test_each_build_of_a_sequence_of_changes_equals_a_fresh_one(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    tree, memo = WorkingTree(repo.root), ContentMemo()
    rebuild(tree, memo)
    steps = [
        _input,
        _new_service,
        _invalid_input,
        _binding_cycle,
        _new_instance,
        _environment,
        _bound_service_renames_its_instance,
        _name_defined_twice,
        _renamed_service,
        _deleted_service,
        _bound_service_removed,
        _new_service,
    ]
    for step in steps:
        step(repo)
        assert_same(rebuild(tree, memo).build, fresh(repo.root))


def test_a_stack_name_clash_is_reported_as_it_comes_and_goes(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    tree, memo = WorkingTree(repo.root), ContentMemo()
    rebuild(tree, memo)
    write_service(repo, "or-ders")
    assert_same(rebuild(tree, memo).build, fresh(repo.root))
    write_service(repo, "or_ders")  # the same stack name as or-ders' instance
    clashing = rebuild(tree, memo).build
    assert any("would both be stack" in str(p) for p in clashing.errors)
    assert_same(clashing, fresh(repo.root))
    text = (repo.root / "services/or_ders.yaml").read_text()
    repo.write("services/or_ders.yaml", "# the clash moves a line down\n" + text)
    moved = rebuild(tree, memo).build
    assert_same(moved, fresh(repo.root))
    repo.remove("services/or-ders.yaml")
    gone = rebuild(tree, memo).build
    assert not gone.errors
    assert_same(gone, fresh(repo.root))


def validate(tree: WorkingTree, memo: ContentMemo | None) -> Validation:
    result = validate_snapshot(tree.snapshot(), renderer=Renderer(), memo=memo)
    if memo is not None:
        memo.end_run()
    return result


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_a_validation_after_a_change_equals_a_fresh_one(tmp_path: Path, change: Change) -> None:
    repo = small_platform(tmp_path)
    tree, memo = WorkingTree(repo.root), ContentMemo()
    validate(tree, memo)
    change(repo)
    again = validate(tree, memo)
    expected = validate(WorkingTree(repo.root), None)
    assert again.problems == expected.problems
    assert_same(again.build, expected.build)


def test_a_validation_renders_only_the_units_built_again(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    tree, memo = WorkingTree(repo.root), ContentMemo()
    validate(tree, memo)
    _input(repo)
    again = validate(tree, memo)
    assert set(again.rendered) == {"service/web/test"}
    assert again.build.state.units["service/web/test"].inputs["size"] == 3


def test_each_validation_of_a_sequence_of_changes_equals_a_fresh_one(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    tree, memo = WorkingTree(repo.root), ContentMemo()
    validate(tree, memo)
    for step in (_broken_service, _input, _invalid_input, _new_instance, _binding_cycle, _input):
        step(repo)
        again = validate(tree, memo)
        assert again.problems == validate(WorkingTree(repo.root), None).problems


def test_a_validation_restricted_to_some_units_leaves_the_next_one_whole(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    tree, memo = WorkingTree(repo.root), ContentMemo()
    validate(tree, memo)
    _invalid_input(repo)
    validate_snapshot(tree.snapshot(), renderer=Renderer(), memo=memo, only=["service/orders/test"])
    memo.end_run()
    _input(repo)
    again = validate(tree, memo)
    expected = validate(WorkingTree(repo.root), None)
    assert again.problems == expected.problems
    assert_same(again.build, expected.build)


def test_a_binding_added_by_an_edit_is_followed_by_the_next_edits(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    write_service(repo, "api", instances="- {name: test, environment: test}")
    tree, memo = WorkingTree(repo.root), ContentMemo()
    rebuild(tree, memo)
    write_service(
        repo, "api", instances="- {name: test, environment: test, bindings: {o: {service: orders}}}"
    )
    rebuild(tree, memo)
    _bound_service_renames_its_instance(repo)  # api's binding now reads another unit
    again = rebuild(tree, memo)
    assert "service/api/test" in again.changed
    assert_same(again.build, fresh(repo.root))


def test_the_order_follows_a_dependency_an_edit_drops_or_adds(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    # aaa sorts before orders, so only its binding puts it after orders' instance
    bound = "- {name: test, environment: test, bindings: {o: {service: orders}}}"
    write_service(repo, "aaa", instances=bound)
    tree, memo = WorkingTree(repo.root), ContentMemo()
    rebuild(tree, memo)
    for instances in ("- {name: test, environment: test}", bound):
        write_service(repo, "aaa", instances=instances)
        assert_same(rebuild(tree, memo).build, fresh(repo.root))


def test_an_instance_moved_to_another_environment_moves_its_target(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    tree, memo = WorkingTree(repo.root), ContentMemo()
    rebuild(tree, memo)
    write_service(repo, "web", instances="- {name: test, environment: production}")
    again = rebuild(tree, memo).build
    assert again.state.units["service/web/test"].target.id == "333333333333"
    assert_same(again, fresh(repo.root))


def test_a_binding_cycle_is_reported_where_it_is_after_an_edit_moves_it(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    tree, memo = WorkingTree(repo.root), ContentMemo()
    rebuild(tree, memo)
    _binding_cycle(repo)
    rebuild(tree, memo)
    text = (repo.root / "services/orders.yaml").read_text()
    repo.write("services/orders.yaml", "# the cycle moves a line down\n" + text)
    again = rebuild(tree, memo).build
    assert any("bindings form a cycle" in str(p) for p in again.errors)
    assert_same(again, fresh(repo.root))


def test_moving_an_instance_next_to_one_of_the_same_stack_name_is_a_clash(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    write_service(repo, "or-ders")
    write_service(repo, "or_ders", instances="- {name: test, environment: production}")
    tree, memo = WorkingTree(repo.root), ContentMemo()
    assert not rebuild(tree, memo).build.errors  # the same stack name, in two accounts
    write_service(repo, "or_ders")  # now in the same account as or-ders' instance
    again = rebuild(tree, memo).build
    assert any("would both be stack" in str(p) for p in again.errors)
    assert_same(again, fresh(repo.root))


def test_a_service_that_stopped_binding_another_is_not_built_again_with_it(
    tmp_path: Path,
) -> None:
    repo = small_platform(tmp_path)
    tree, memo = WorkingTree(repo.root), ContentMemo()
    rebuild(tree, memo)
    write_service(repo, "web", instances="- {name: test, environment: test}")
    rebuild(tree, memo)
    _bound_service_renames_its_instance(repo)
    again = rebuild(tree, memo)
    assert not any(u.startswith("service/web/") for u in again.changed)
    assert_same(again.build, fresh(repo.root))


SVC = "templates/svc/v1/instance_infrastructure/cloudformation.yaml"


def _fails_to_render_on_boom(repo: PlatformRepo) -> None:
    text = (repo.root / SVC).read_text()
    boom = '{% if service_instance.inputs.label == "boom" %}{{ service_instance.inputs.nope }}'
    repo.write(SVC, text.replace("Outputs:", boom + "{% endif %}\nOutputs:"))
    repo.commit("svc fails to render when told to")


def _label(repo: PlatformRepo, label: str) -> None:
    write_service(
        repo, "web", instances=f"- {{name: test, environment: test, inputs: {{label: {label}}}}}"
    )


def test_a_render_problem_comes_and_goes_with_the_edits_that_make_it(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    _fails_to_render_on_boom(repo)
    tree, memo = WorkingTree(repo.root), ContentMemo()
    validate(tree, memo)
    for step in ("boom", "hello", "boom"):
        _label(repo, step)
        again = validate(tree, memo)
        assert again.problems == validate(WorkingTree(repo.root), None).problems
        assert again.ok == (step != "boom")
    repo.remove("services/web.yaml")
    gone = validate(tree, memo)
    assert gone.ok
    assert gone.problems == validate(WorkingTree(repo.root), None).problems


def test_a_build_made_between_two_validations_makes_the_second_start_afresh(
    tmp_path: Path,
) -> None:
    repo = small_platform(tmp_path)
    _fails_to_render_on_boom(repo)
    write_service(repo, "api", instances="- {name: test, environment: test}")
    tree, memo = WorkingTree(repo.root), ContentMemo()
    validate(tree, memo)
    write_service(repo, "api", instances="- {name: test, environment: test, inputs: {label: boom}}")
    rebuild(tree, memo)  # the build moves on; the validation has not seen it
    _input(repo)  # web, which has nothing to do with api
    again = validate(tree, memo)
    assert not again.ok
    assert again.problems == validate(WorkingTree(repo.root), None).problems


@pytest.mark.slow
def test_a_validation_with_lint_after_one_without_lints_what_changed_and_all_else(
    tmp_path: Path,
) -> None:
    from reconciler.render import Linter

    repo = small_platform(tmp_path)
    tree, memo = WorkingTree(repo.root), ContentMemo()
    validate(tree, memo)
    _input(repo)
    linter = Linter()
    linted = validate_snapshot(tree.snapshot(), renderer=Renderer(), linter=linter, memo=memo)
    memo.end_run()
    assert linter.runs == len(linted.build.state.order)
    fresh_lint = validate_snapshot(
        WorkingTree(repo.root).snapshot(), renderer=Renderer(), linter=Linter()
    )
    assert linted.problems == fresh_lint.problems
    _new_instance(repo)
    again = validate_snapshot(tree.snapshot(), renderer=Renderer(), linter=linter, memo=memo)
    assert set(again.rendered) == {"service/web/test", "service/web/production"}
    fresh_lint = validate_snapshot(
        WorkingTree(repo.root).snapshot(), renderer=Renderer(), linter=Linter()
    )
    assert again.problems == fresh_lint.problems


def test_a_changed_component_folder_builds_its_service_again(tmp_path: Path) -> None:
    from tests.desired.test_components import QUEUE_ID, with_components

    repo = with_components(tmp_path)
    tree, memo = WorkingTree(repo.root), ContentMemo()
    first = rebuild(tree, memo)
    body = repo.root / "services/web/components/queue/cloudformation.yaml"
    body.write_text(
        body.read_text().replace("DelaySeconds", "MaximumMessageSize: 1024\n      DelaySeconds")
    )

    again = rebuild(tree, memo)

    assert again.since is first.token  # built from the last build
    assert again.changed == {QUEUE_ID, "service/web/test"}
    assert again.build.state.units[QUEUE_ID].version != first.build.state.units[QUEUE_ID].version
    assert_same(again.build, fresh(repo.root))


class _Entries:
    """A ContentStore in a dict: what a later process reads back as JSON."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], object] = {}

    def get_many(self, namespace: str, keys: object) -> dict[str, object]:
        wanted = list(keys)  # type: ignore[call-overload]
        return {k: self.entries[(namespace, k)] for k in wanted if (namespace, k) in self.entries}

    def put_many(self, namespace: str, entries: dict[str, object]) -> None:
        self.entries.update({(namespace, k): v for k, v in entries.items()})


def test_a_service_with_components_is_read_back_from_stored_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reconciler.desired.build import Builder
    from tests.desired.test_components import with_components

    repo = with_components(tmp_path)
    stored = _Entries()
    first = ContentMemo(stored)
    rebuild(WorkingTree(repo.root), first)
    first.flush()

    later = ContentMemo(stored)  # a new process: nothing live, everything as JSON
    built: list[str] = []
    service = Builder.service
    monkeypatch.setattr(
        Builder, "service", lambda self, s: built.append(s.name) or service(self, s)
    )
    again = rebuild(WorkingTree(repo.root), later)
    monkeypatch.undo()

    assert built == []  # every service's units came back from JSON, components too
    assert_same(again.build, fresh(repo.root))
