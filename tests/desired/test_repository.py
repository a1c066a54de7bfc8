"""A pipeline reads its service's repository through a connection: the service's own, or
goldenpath.yaml's for the repository's provider. When a template reads one that nothing
sets, the error is on the service file and names both places it may be set."""

from __future__ import annotations

from pathlib import Path

from reconciler.desired.build import build_desired
from reconciler.desired.rendering import pending_source, render_unit
from reconciler.render import Renderer
from reconciler.source.worktree import WorkingTree
from tests.support.platform_repo import PlatformRepo, small_platform

PLATFORM_CONNECTION = "arn:aws:codestar-connections:us-west-2:444444444444:connection/platform-1"
OWN_CONNECTION = "arn:aws:codestar-connections:us-west-2:444444444444:connection/own-1"
PIPELINE = "templates/svc/v1/pipeline_infrastructure/cloudformation.yaml"
INSTANCE = "templates/svc/v1/instance_infrastructure/cloudformation.yaml"
# As the Proton tutorial's pipeline reads its source.
READS_SOURCE = """
AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      DisplayName: '{{ service.repository_connection_arn }}'
      Tags:
        - {Key: repository, Value: '{{ service.repository_id }}'}
        - {Key: branch, Value: '{{ service.branch_name }}'}
"""


def build(repo: PlatformRepo):  # type: ignore[no-untyped-def]
    return build_desired(WorkingTree(repo.root).snapshot())


def platform_with_connections(repo: PlatformRepo, connections: str) -> None:
    repo.write(
        "goldenpath.yaml",
        f"""
        apiVersion: goldenpath.dev/v1
        kind: Platform
        metadata: {{name: pizza}}
        spec:
          pipelines:
            repositoryConnections: {connections}
        """,
    )


def orders(repo: PlatformRepo, repository: str) -> None:
    """``orders`` with a pipeline, and ``repository`` (a YAML line, or "")."""
    repo.write(
        "services/orders.yaml",
        "apiVersion: goldenpath.dev/v1\nkind: Service\n"
        "metadata: {name: orders, team: storefront}\nspec:\n"
        '  template: {name: svc, version: "1"}\n'
        f"{repository}"
        "  pipeline: {inputs: {command: make test}}\n"
        "  instances:\n    - {name: test, environment: test}\n",
    )


def reading_source(tmp_path: Path) -> PlatformRepo:
    repo = small_platform(tmp_path)
    repo.write(PIPELINE, READS_SOURCE)
    repo.commit("the pipeline reads its source")
    return repo


def rendered_pipeline(result) -> str:  # type: ignore[no-untyped-def]
    unit = result.state.units["pipeline/orders"]
    return render_unit(unit, result.state, Renderer(), pending_source({})).body


def test_without_its_own_a_service_gets_the_platform_connection_of_its_provider(
    tmp_path: Path,
) -> None:
    repo = reading_source(tmp_path)
    platform_with_connections(repo, f"{{github: '{PLATFORM_CONNECTION}'}}")
    orders(repo, "  repository: {provider: github, id: pizza/orders, branch: main}\n")
    result = build(repo)
    assert result.errors == []
    assert result.state.units["pipeline/orders"].repository["connection_arn"] == (
        PLATFORM_CONNECTION
    )
    assert f"DisplayName: '{PLATFORM_CONNECTION}'" in rendered_pipeline(result)


def test_the_service_connection_wins_over_the_platform_one(tmp_path: Path) -> None:
    repo = reading_source(tmp_path)
    platform_with_connections(repo, f"{{github: '{PLATFORM_CONNECTION}'}}")
    orders(
        repo,
        "  repository: {provider: github, id: pizza/orders, branch: main,\n"
        f"               connectionArn: '{OWN_CONNECTION}'}}\n",
    )
    result = build(repo)
    assert result.errors == []
    assert f"DisplayName: '{OWN_CONNECTION}'" in rendered_pipeline(result)


def test_no_connection_anywhere_is_an_error_on_the_service_naming_both_fields(
    tmp_path: Path,
) -> None:
    repo = reading_source(tmp_path)
    platform_with_connections(repo, f"{{gitlab: '{PLATFORM_CONNECTION}'}}")  # not github
    orders(repo, "  repository: {provider: github, id: pizza/orders, branch: main}\n")
    result = build(repo)
    [problem] = result.errors
    assert (problem.file, problem.line, problem.field) == (
        "services/orders.yaml",
        6,  # the line of spec.repository
        "spec.repository.connectionArn",
    )
    assert f"the pipeline template {PIPELINE} reads service.repository_connection_arn" in (
        problem.message
    )
    assert problem.message.endswith(
        "expected spec.repository.connectionArn, or goldenpath.yaml "
        "spec.pipelines.repositoryConnections.github"
    )
    # The pipeline is not built (no render error follows); the instance does not read it.
    assert "pipeline/orders" in result.state.invalid
    assert "service/orders/test" in result.state.units


def test_no_repository_at_all_is_an_error_at_the_service(tmp_path: Path) -> None:
    repo = reading_source(tmp_path)
    orders(repo, "")
    [problem] = build(repo).errors
    assert (problem.file, problem.line, problem.field) == (
        "services/orders.yaml",
        3,  # metadata.name: the service itself
        "spec.repository",
    )
    assert "reads service.branch_name, service.repository_connection_arn, " in problem.message
    assert "the service gives no repository: expected spec.repository: {provider, id, branch}" in (
        problem.message
    )
    assert "goldenpath.yaml spec.pipelines.repositoryConnections.<provider>" in problem.message


def test_a_template_that_guards_its_read_needs_no_connection(tmp_path: Path) -> None:
    repo = reading_source(tmp_path)
    repo.write(
        PIPELINE,
        READS_SOURCE.replace(
            "'{{ service.repository_connection_arn }}'",
            "'{{ service.repository_connection_arn | default(\"none\") }}'",
        ),
    )
    orders(repo, "  repository: {provider: codecommit, id: orders, branch: main}\n")
    result = build(repo)
    assert result.errors == []
    assert "DisplayName: 'none'" in rendered_pipeline(result)


def test_an_instance_template_reading_it_is_reported_once_for_all_instances(
    tmp_path: Path,
) -> None:
    repo = small_platform(tmp_path)
    path = repo.root / INSTANCE
    path.write_text(path.read_text().replace("{{ service.name }}", "{{ service.repository_id }}"))
    repo.write(
        "services/web.yaml",
        "apiVersion: goldenpath.dev/v1\nkind: Service\n"
        "metadata: {name: web, team: storefront}\nspec:\n"
        '  template: {name: svc, version: "1"}\n'
        "  instances:\n    - {name: test, environment: test}\n"
        "    - {name: production, environment: production}\n",
    )
    result = build(repo)
    web = [p for p in result.errors if p.file == "services/web.yaml"]
    assert len(web) == 1 and "the service template" in web[0].message
    assert {"service/web/test", "service/web/production"} <= set(result.state.invalid)
