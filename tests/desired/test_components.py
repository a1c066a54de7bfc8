"""Directly defined components: their units, their order, and every way to get one wrong.

Each bad input is one problem at the service file (or the component's own file) and line,
saying what was expected, and nothing else of the repo is refused because of it.
"""

from __future__ import annotations

from pathlib import Path

from reconciler.desired.build import Build, build_desired
from reconciler.desired.rendering import pending_source, render_unit
from reconciler.render import Linter, Renderer
from reconciler.source.worktree import WorkingTree
from reconciler.validation import validate_snapshot
from tests.support.platform_repo import (
    PlatformRepo,
    allow_components,
    component_role_of,
    small_platform,
    write_component,
    write_environment,
    write_service,
)

QUEUE_ID = "component/web/test/queue"
ROLE = component_role_of("111111111111")


def with_components(root: Path) -> PlatformRepo:
    """The small platform, its template allowing components, test with a component role,
    and web's test instance with a queue of its own."""
    repo = small_platform(root)
    allow_components(repo)
    write_environment(repo, "test", "111111111111", component_role=True)
    write_component(repo, "web")
    attach(repo, "queue")
    return repo


def attach(repo: PlatformRepo, *components: str, environment: str = "test") -> None:
    listed = ", ".join(components)
    write_service(
        repo,
        "web",
        instances=f"""
        - name: test
          environment: {environment}
          bindings: {{orders: {{service: orders}}}}
          components: [{listed}]
    """,
    )


def build(repo: PlatformRepo) -> Build:
    return build_desired(WorkingTree(repo.root).snapshot())


def only_error(repo: PlatformRepo) -> tuple[str, int | None, str, str]:
    found = build(repo)
    [problem] = found.errors
    return problem.file, problem.line, problem.field, problem.message


def test_an_attached_component_is_a_unit_deployed_before_its_instance(tmp_path: Path) -> None:
    found = build(with_components(tmp_path))

    assert found.errors == []
    queue = found.state.units[QUEUE_ID]
    web = found.state.units["service/web/test"]
    assert (queue.kind, queue.component, queue.service, queue.instance) == (
        "component",
        "queue",
        "web",
        "test",
    )
    assert queue.stack_name == "goldenpath-component-web-test-queue"
    assert queue.target == web.target
    assert queue.service_role == ROLE  # the environment's component role
    assert queue.target.role_arn == "arn:aws:iam::111111111111:role/goldenpath-deployer"
    assert queue.depends_on == ("environment/test",)
    assert QUEUE_ID in web.depends_on and web.components == {"queue": QUEUE_ID}
    order = list(found.state.order)
    assert order.index(QUEUE_ID) < order.index("service/web/test")
    assert queue.tags["goldenpath:component"] == "queue"
    assert queue.template == "services/web/components/queue"
    assert queue.holds_data and queue.pinned and queue.updates == "manual"


def test_the_component_version_is_its_folder_content(tmp_path: Path) -> None:
    repo = with_components(tmp_path)
    repo.commit("queue")
    tree = repo.git("rev-parse", "HEAD:services/web/components/queue")

    version = build(repo).state.units[QUEUE_ID].version

    assert version.version == tree[:12]


def test_the_same_component_attached_to_two_instances_is_two_stacks(tmp_path: Path) -> None:
    repo = with_components(tmp_path)
    write_environment(repo, "production", "333333333333", component_role=True)
    write_service(
        repo,
        "web",
        instances="""
        - {name: test, environment: test, components: [queue]}
        - {name: production, environment: production, components: [queue]}
    """,
    )

    units = build(repo).state.units

    assert units["component/web/test/queue"].target.id == "111111111111"
    assert units["component/web/production/queue"].target.id == "333333333333"
    assert units["component/web/production/queue"].service_role == component_role_of("333333333333")


def test_component_outputs_reach_the_instance_template(tmp_path: Path) -> None:
    found = build(with_components(tmp_path))
    renderer = Renderer()
    outputs = pending_source(
        {
            "environment/test": {"VpcId": "vpc-1"},
            "service/orders/test": {"QueueUrl": "https://orders"},
            QUEUE_ID: {"QueueUrl": "https://sqs.us-west-2.amazonaws.com/111111111111/q"},
        }
    )

    queue = render_unit(found.state.units[QUEUE_ID], found.state, renderer, outputs)
    web = render_unit(found.state.units["service/web/test"], found.state, renderer, outputs)

    assert "queue of web test" in queue.body
    assert "DelaySeconds: 1" in queue.body  # the instance's inputs, with defaults
    assert "'https://sqs.us-west-2.amazonaws.com/111111111111/q'" in web.body


def test_a_component_outputs_read_as_pending_until_it_is_deployed(tmp_path: Path) -> None:
    found = build(with_components(tmp_path))

    web = render_unit(
        found.state.units["service/web/test"],
        found.state,
        Renderer(),
        pending_source({"environment/test": {"VpcId": "vpc-1"}}),
    )

    assert QUEUE_ID in web.pending


def test_an_instance_without_components_reads_their_outputs_as_empty(tmp_path: Path) -> None:
    repo = with_components(tmp_path)
    attach(repo)
    found = build(repo)

    web = render_unit(
        found.state.units["service/web/test"], found.state, Renderer(), pending_source({})
    )

    assert "'no queue'" in web.body
    assert found.warnings[0].file == "services/web/components/queue/manifest.yaml"
    assert "attached to no instance" in found.warnings[0].message


def test_a_template_that_does_not_allow_components_refuses_them(tmp_path: Path) -> None:
    repo = with_components(tmp_path)
    repo.write(
        "templates/svc/v1/.template-registration.yaml", "compatible_environments: ['env:1']\n"
    )

    file, line, field, message = only_error(repo)

    assert (file, line, field) == ("services/web.yaml", 10, "spec.instances[0].components[0]")
    assert "template svc v1 does not allow components" in message
    assert "supported_component_sources: [DIRECTLY_DEFINED]" in message


def test_an_environment_without_a_component_role_refuses_components(tmp_path: Path) -> None:
    repo = with_components(tmp_path)
    write_environment(repo, "test", "111111111111")

    file, line, field, message = only_error(repo)

    assert (file, line, field) == ("services/web.yaml", 10, "spec.instances[0].components[0]")
    assert "environment 'test' refuses components" in message
    assert "spec.componentRoleArn in environments/test.yaml" in message


def test_a_component_role_of_another_account_is_refused(tmp_path: Path) -> None:
    repo = with_components(tmp_path)
    text = (repo.root / "environments/test.yaml").read_text()
    repo.write("environments/test.yaml", text.replace(ROLE, component_role_of("999999999999")))

    messages = [(p.file, p.field, p.message) for p in build(repo).errors]

    assert ("environments/test.yaml", "spec.componentRoleArn") in [m[:2] for m in messages]
    assert any(f == "services/web.yaml" and "not in its account" in m for f, _, m in messages)


def test_a_component_attached_twice_is_refused_at_the_second(tmp_path: Path) -> None:
    repo = with_components(tmp_path)
    attach(repo, "queue", "queue")

    file, line, field, message = only_error(repo)

    assert (file, line, field) == ("services/web.yaml", 10, "spec.instances[0].components[1]")
    assert "attached twice" in message


def test_component_names_that_collide_in_a_stack_name_are_refused(tmp_path: Path) -> None:
    repo = with_components(tmp_path)
    write_component(repo, "web", "jobs_queue")
    write_component(repo, "web", "jobs-queue")
    attach(repo, "jobs_queue", "jobs-queue")

    file, _line, _field, message = only_error(repo)

    assert file == "services/web.yaml"
    assert "goldenpath-component-web-test-jobs-queue" in message
    assert "each stack belongs to one unit" in message


def test_a_missing_component_folder_names_the_expected_path(tmp_path: Path) -> None:
    repo = with_components(tmp_path)
    attach(repo, "cache")

    file, line, field, message = only_error(repo)

    assert (file, line, field) == ("services/web.yaml", 10, "spec.instances[0].components[0]")
    assert "expected services/web/components/cache/ with a manifest.yaml" in message
    assert "components of web: queue" in message


def test_an_attachment_that_names_a_role_is_refused(tmp_path: Path) -> None:
    repo = with_components(tmp_path)
    attach(repo, '{name: queue, roleArn: "arn:aws:iam::111111111111:role/admin"}')

    file, line, field, message = only_error(repo)

    assert (file, line) == ("services/web.yaml", 10)
    assert field == "spec.instances[0].components[0].roleArn"
    assert "cannot name a role of its own" in message


def test_a_component_manifest_that_names_a_role_is_refused(tmp_path: Path) -> None:
    repo = with_components(tmp_path)
    manifest = repo.root / "services/web/components/queue/manifest.yaml"
    manifest.write_text(manifest.read_text() + 'roleArn: "arn:aws:iam::111111111111:role/admin"\n')

    file, line, field, message = only_error(repo)

    assert (file, line, field) == ("services/web/components/queue/manifest.yaml", 6, "roleArn")
    assert "cannot name a role of its own" in message


def test_a_component_reading_an_output_that_does_not_exist_fails_validation(
    tmp_path: Path,
) -> None:
    repo = with_components(tmp_path)
    write_component(
        repo,
        "web",
        body=(tmp_path / "services/web/components/queue/cloudformation.yaml")
        .read_text()
        .replace("environment.outputs.VpcId", "environment.outputs.SubnetId"),
    )

    validation = validate_snapshot(
        WorkingTree(repo.root).snapshot(), renderer=Renderer(), linter=Linter()
    )

    [problem] = validation.errors
    assert problem.file == "services/web/components/queue/cloudformation.yaml"
    assert problem.line == 12
    assert problem.field == QUEUE_ID
    assert "SubnetId" in problem.message


def test_a_team_that_may_not_deploy_to_the_environment_is_denied_the_component_too(
    tmp_path: Path,
) -> None:
    repo = with_components(tmp_path)
    text = (repo.root / "teams.yaml").read_text()
    repo.write("teams.yaml", text.replace('environments: ["*"]}', "environments: [production]}"))

    denied = build(repo).state.denied

    assert QUEUE_ID in denied and "service/web/test" in denied


def test_a_component_named_like_a_binding_is_refused(tmp_path: Path) -> None:
    repo = with_components(tmp_path)
    write_component(repo, "web", "orders")
    attach(repo, "orders")

    file, line, field, message = only_error(repo)

    assert (file, line, field) == ("services/web.yaml", 10, "spec.instances[0].components[0]")
    assert "has the name of the instance's binding 'orders'" in message


def test_a_component_keeps_its_data_resources(tmp_path: Path) -> None:
    repo = with_components(tmp_path)
    write_component(
        repo,
        "web",
        body="""
Resources:
  Uploads:
    Type: AWS::S3::Bucket
  Jobs:
    Type: AWS::SQS::Queue
Outputs:
  BucketName:
    Value: !Ref Uploads
""",
    )
    found = build(repo)

    rendered = render_unit(found.state.units[QUEUE_ID], found.state, Renderer(), pending_source({}))

    assert [(r.logical_id, r.policy) for r in rendered.retained] == [("Uploads", "Retain")]
    assert '"DeletionPolicy": "Retain"' in rendered.body
