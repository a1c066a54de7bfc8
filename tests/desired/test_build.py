"""Cross-spec checks: each wrong repo gets a clear problem naming file, line and field."""

from __future__ import annotations

from pathlib import Path

from reconciler.desired.build import build_desired
from reconciler.source.worktree import WorkingTree
from tests.support.platform_repo import (
    PlatformRepo,
    small_platform,
    write_env_template,
    write_service,
    write_svc_template,
)


def build(repo: PlatformRepo):  # type: ignore[no-untyped-def]
    return build_desired(WorkingTree(repo.root).snapshot())


def messages(result) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(p) for p in result.errors]


def test_a_valid_platform_gives_units_in_dependency_order(tmp_path: Path) -> None:
    result = build(small_platform(tmp_path))
    assert result.errors == []
    order = list(result.state.order)
    assert set(order) == {
        "environment/production",
        "environment/test",
        "service/orders/test",
        "service/orders/production",
        "service/web/test",
        "pipeline/orders",
    }
    assert order.index("environment/test") < order.index("service/orders/test")
    assert order.index("service/orders/test") < order.index("service/web/test")
    assert order.index("service/orders/production") < order.index("pipeline/orders")
    web = result.state.units["service/web/test"]
    assert web.bindings == {"orders": "service/orders/test"}
    assert web.stack_name == "goldenpath-service-web-test"
    assert web.tags["goldenpath:service"] == "web"
    assert web.target.id == "111111111111"


def test_major_only_ref_gets_the_newest_minor(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    repo.write(
        "templates/svc/v1/instance_infrastructure/cloudformation.yaml",
        (tmp_path / "templates/svc/v1/instance_infrastructure/cloudformation.yaml").read_text()
        + "# a comment makes a minor version\n",
    )
    repo.commit("svc 1.1")
    result = build(repo)
    assert result.state.units["service/web/test"].version.version == "1.1"
    kept = build_desired(WorkingTree(repo.root).snapshot(), in_use={"service/web/test": "1.0"})
    assert kept.state.units["service/web/test"].version.version == "1.0"


def test_unknown_template_names_the_field_and_the_known_ones(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    write_service(repo, "web", template="nope")
    [problem] = build(repo).errors
    assert problem.file == "services/web.yaml"
    assert problem.field == "spec.template.name"
    assert problem.line == 5
    assert "template 'nope' does not exist" in problem.message and "svc" in problem.message


def test_unknown_version_lists_the_versions(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    write_service(repo, "web", version="1.7")
    [problem] = build(repo).errors
    assert problem.field == "spec.template.version"
    assert "no version '1.7'" in problem.message and "1.0" in problem.message


def test_incompatible_environment_is_rejected(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    write_env_template(repo, "other-env")
    write_svc_template(repo, "svc2", env="other-env:1")
    write_service(repo, "web", template="svc2")
    [problem] = build(repo).errors
    assert problem.field == "spec.instances[0].environment"
    assert "not compatible with environment 'test' (env:1)" in problem.message
    assert "other-env:1" in problem.message


def test_missing_environment(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    write_service(repo, "web", instances="- {name: qa, environment: qa}\n")
    [problem] = build(repo).errors
    assert "environment 'qa' does not exist" in problem.message
    assert problem.field == "spec.instances[0].environment"


def test_team_not_entitled_to_template_or_environment(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    write_service(
        repo,
        "ledger",
        team="payments",
        instances="""
        - name: production
          environment: production
    """,
    )
    found = messages(build(repo))
    assert any("team 'payments' may not use template 'svc'" in m for m in found)
    assert any("team 'payments' may not deploy to environment 'production'" in m for m in found)


def test_unknown_team(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    write_service(repo, "ledger", team="ghosts")
    [problem] = build(repo).errors
    assert (
        problem.field == "metadata.team" and "team 'ghosts' is not in teams.yaml" in problem.message
    )


def test_binding_to_a_missing_service(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    write_service(
        repo,
        "web",
        instances="""
        - name: test
          environment: test
          bindings: {db: {service: orders-db}}
    """,
    )
    [problem] = build(repo).errors
    assert problem.field == "spec.instances[0].bindings.db"
    assert "binds service 'orders-db', which does not exist" in problem.message
    assert problem.line == 9


def test_binding_cycle_is_named(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    write_service(
        repo,
        "orders",
        instances="""
        - name: test
          environment: test
          bindings: {web: {service: web}}
    """,
    )
    errors = build(repo).errors
    assert len(errors) == 1
    assert "cycle" in errors[0].message
    assert "service/orders/test" in errors[0].message and "service/web/test" in errors[0].message


def test_duplicate_service_name(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    text = (tmp_path / "services/web.yaml").read_text()
    repo.write("services/web-copy.yaml", text)
    [problem] = build(repo).errors
    assert problem.file == "services/web.yaml" or problem.file == "services/web-copy.yaml"
    assert "duplicate name 'web'" in problem.message


def test_colliding_stack_names(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    write_service(repo, "web_test", instances="- {name: x, environment: test}\n")
    write_service(repo, "web-test", instances="- {name: x, environment: test}\n")
    found = messages(build(repo))
    assert any("would both be stack 'goldenpath-service-web-test-x'" in m for m in found)


def test_input_of_the_wrong_type_and_missing_required_input(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    repo.write(
        "templates/svc/v1/schema/schema.yaml",
        """
        schema:
          format: {openapi: "3.0.0"}
          service_input_type: SvcInput
          pipeline_input_type: PipelineInput
          types:
            SvcInput:
              type: object
              required: [owner]
              properties:
                size: {type: number, default: 1}
                owner: {type: string, description: "who is paged"}
            PipelineInput:
              type: object
              properties: {}
        """,
    )
    repo.git("add", "-A")
    repo.git("commit", "-q", "--amend", "--no-edit")  # the schema as 1.0 had it
    write_service(
        repo,
        "web",
        instances="""
        - name: test
          environment: test
          inputs: {size: big, owner: gregg}
    """,
    )
    found = messages(build(repo))
    assert any(
        "spec.instances[0].inputs.size: expected a number, got string 'big'" in m for m in found
    )
    assert any(
        "services/orders.yaml" in m and "missing required field 'owner' (who is paged)" in m
        for m in found
    )


def test_incompatible_minor_bump_names_the_input(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    schema = tmp_path / "templates/svc/v1/schema/schema.yaml"
    schema.write_text(
        schema.read_text().replace(
            "label: {type: string, default: hello}", "label: {type: number, default: 1}"
        )
    )
    repo.commit("retype label")
    errors = build(repo).errors
    assert any(
        "version 1.1 of svc is not backward compatible with 1.0" in p.message
        and "'label' changed type from string to number" in p.message
        for p in errors
    )


def test_a_unit_whose_spec_has_errors_is_not_built_and_its_dependants_wait(
    tmp_path: Path,
) -> None:
    from reconciler.plan.diff import make_plan
    from reconciler.render import Renderer
    from reconciler.specs.model import PruneRules

    repo = small_platform(tmp_path)
    write_service(
        repo,
        "orders",
        instances="""
        - name: test
          environment: test
          inputs: {size: big}
    """,
    )
    result = build(repo)
    assert "service/orders/test" not in result.state.units
    assert "expected a number" in result.state.invalid["service/orders/test"]
    plan = make_plan(result.state, {}, renderer=Renderer(), prune=PruneRules(service=True))
    orders, web = plan.of("service/orders/test"), plan.of("service/web/test")
    assert orders is not None and orders.action == "blocked"
    assert orders.reason.startswith("invalid spec: services/orders.yaml")
    assert web is not None and web.action == "blocked" and "service/orders/test" in web.reason


def test_a_deployed_unit_with_a_broken_spec_is_kept(tmp_path: Path) -> None:
    from reconciler.plan.diff import make_plan
    from reconciler.plan.model import Recorded
    from reconciler.render import Renderer
    from reconciler.specs.model import PruneRules

    repo = small_platform(tmp_path)
    write_service(
        repo,
        "web",
        instances="""
        - name: test
          environment: test
          bindings: {orders: {service: nope}}
    """,
    )
    recorded = {
        "service/web/test": Recorded(
            "service/web/test",
            "service",
            "goldenpath-service-web-test",
            "111111111111",
            "us-west-2",
            "svc",
            "1.0",
            "f",
            {},
        )
    }
    plan = make_plan(
        build(repo).state, recorded, renderer=Renderer(), prune=PruneRules(service=True)
    )
    web = plan.of("service/web/test")
    assert web is not None and web.action == "blocked" and "nope" in web.reason
    assert plan.summary["delete"] == 0


def test_a_stack_name_from_the_spec_names_the_units_stack(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    write_service(
        repo,
        "web",
        instances="- {name: test, environment: test, stackName: AWSProton-web-cloudformation-Q}\n",
    )
    result = build(repo)
    assert result.errors == []
    web = result.state.units["service/web/test"]
    assert web.stack_name == "AWSProton-web-cloudformation-Q"
    assert web.external
    assert not result.state.units["service/orders/test"].external


def test_two_units_naming_one_stack_is_an_error_at_the_second_name(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    write_service(
        repo,
        "web",
        instances="""
        - {name: test, environment: test, stackName: AWSProton-shared-cloudformation-Q}
        - {name: again, environment: test, stackName: AWSProton-shared-cloudformation-Q}
        """,
    )
    [problem] = build(repo).errors
    assert problem.file == "services/web.yaml"
    assert problem.field == "spec.instances[1].stackName"
    assert problem.line == 8  # the second instance's line, after the header's seven
    assert "service/web/again and service/web/test would both be stack" in problem.message
    assert "'AWSProton-shared-cloudformation-Q' in 111111111111/us-west-2" in problem.message


def test_a_stack_name_may_not_take_a_derived_name_in_its_account(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    write_service(
        repo,
        "web",
        instances="- {name: test, environment: test, stackName: goldenpath-service-orders-test}\n",
    )
    [problem] = build(repo).errors
    assert problem.field == "spec.instances[0].stackName"
    assert "service/orders/test" in problem.message


def test_the_same_stack_name_in_another_account_is_fine(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    write_service(
        repo,
        "web",
        instances="""
        - {name: test, environment: test, stackName: AWSProton-web-cloudformation-Q}
        - {name: production, environment: production, stackName: AWSProton-web-cloudformation-Q}
        """,
    )
    assert build(repo).errors == []


def test_a_stack_name_that_cloudformation_refuses_is_a_schema_error(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    write_service(
        repo,
        "web",
        instances="- {name: test, environment: test, stackName: 9-starts-with-a-digit}\n",
    )
    [problem] = build(repo).errors
    assert problem.file == "services/web.yaml"
    assert problem.field == "spec.instances[0].stackName"
    assert "9-starts-with-a-digit" in problem.message
