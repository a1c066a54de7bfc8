"""Components on the emulator: deployed first with the component role, read by their
instance, deleted after it (or kept, per prune), adopted by stackName like any unit."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from reconciler.report.status import status_document
from tests.engine.conftest import Build, Harness
from tests.engine.platforms import Accounts, write_platform, write_service
from tests.support.platform_repo import (
    PlatformRepo,
    allow_components,
    component_role_of,
    write_component,
    write_env_template,
    write_environment,
    write_svc_template,
    write_teams,
)

MakeHarness = Callable[[Build], Harness]
QUEUE = "component/web/test/queue"
WEB = "service/web/test"


def attach(repo: PlatformRepo, components: str) -> None:
    write_service(repo, "web", {"test": "test"})
    path = repo.root / "services/web.yaml"
    path.write_text(path.read_text() + f"      components: {components}\n")


def component_platform(root: Path, accounts: Accounts) -> PlatformRepo:
    repo = PlatformRepo(root)
    write_env_template(repo)
    write_svc_template(repo)
    allow_components(repo)
    write_platform(repo, accounts)
    write_environment(repo, "test", accounts.test, component_role=True)
    write_teams(repo)
    write_component(repo, "web")
    attach(repo, "[queue]")
    repo.commit("web in test, with a queue of its own")
    return repo


def settings_value(made: Harness) -> str:
    """The value web's template received from its component (a tag of its queue)."""
    body = made.aws.template(made.accounts.test, "goldenpath-service-web-test")
    lines = body.splitlines()
    at = lines.index("        - Key: queue")
    return lines[at + 1].split("'")[1]


def test_a_component_deploys_first_with_the_component_role(harness: MakeHarness) -> None:
    made = harness(component_platform)

    applied = made.apply()

    assert applied.report.ok, applied.report.outcomes
    stack = made.stack(QUEUE)
    assert stack["RoleARN"] == component_role_of(made.accounts.test)
    assert "RoleARN" not in made.stack(WEB)  # the instance runs as the deployer does
    queue_done = made.store.history(QUEUE)[0].finished_at
    web_started = made.store.history(WEB)[0].started_at
    assert queue_done is not None and web_started is not None and queue_done <= web_started
    queue_url = made.store.unit(QUEUE).outputs["QueueUrl"]  # type: ignore[union-attr]
    assert queue_url.startswith("https://") or queue_url.startswith("http")
    assert settings_value(made) == queue_url
    units = {u["id"]: u for u in status_document(made.store)["units"]}
    assert units[QUEUE]["kind"] == "component"
    assert units[QUEUE]["outputs"]["QueueUrl"] == queue_url


def test_a_removed_component_is_deleted_after_its_instance_moved_on(
    harness: MakeHarness,
) -> None:
    made = harness(component_platform)
    assert made.apply().report.ok
    attach(made.repo, "[]")
    made.repo.commit("web without its queue")

    planned = {u.unit_id: u for u in made.plan().plan.units}
    applied = made.apply()

    assert (planned[QUEUE].action, planned[WEB].action) == ("delete", "update")
    assert "data resources are kept" in planned[QUEUE].reason
    assert applied.report.ok, applied.report.outcomes
    assert "goldenpath-component-web-test-queue" not in made.aws.stacks(made.accounts.test)
    assert made.store.unit(QUEUE) is None
    assert settings_value(made) == "no queue"
    web_done = made.store.history(WEB)[0].finished_at
    deleted = made.store.history(QUEUE)[0]
    assert deleted.status == "DELETE_COMPLETE"
    assert web_done is not None and deleted.started_at is not None
    assert web_done <= deleted.started_at


def test_a_removed_component_is_kept_where_prune_says_so(harness: MakeHarness) -> None:
    made = harness(component_platform)
    assert made.apply().report.ok
    attach(made.repo, "[]")
    platform = made.repo.root / "goldenpath.yaml"
    platform.write_text(
        platform.read_text().replace(
            "pipeline: true}", "pipeline: true,\n           component: false}"
        )
    )
    made.repo.commit("web without its queue; components are never pruned")

    planned = {u.unit_id: u for u in made.plan().plan.units}
    applied = made.apply()

    assert planned[QUEUE].action == "denied"
    assert "does not allow pruning (component)" in planned[QUEUE].reason
    assert applied.report.ok, applied.report.outcomes
    assert "goldenpath-component-web-test-queue" in made.aws.stacks(made.accounts.test)


def test_a_component_adopts_the_stack_its_spec_names(harness: MakeHarness) -> None:
    made = harness(component_platform)
    assert made.apply().report.ok
    # What Proton left: the same queue, under a stack name of Proton's.
    cfn = made.aws.client("cloudformation", made.accounts.test)
    body = made.aws.template(made.accounts.test, "goldenpath-component-web-test-queue")
    cfn.create_stack(
        StackName="AWSProton-queue-cloudformation-ABCDEFGHIJKLM",
        TemplateBody=body,
        RoleARN=component_role_of(made.accounts.test),
    )
    write_service(made.repo, "web", {"production": "test"})  # a second instance of web
    path = made.repo.root / "services/web.yaml"
    path.write_text(
        path.read_text()
        + "      components:\n"
        + "        - {name: queue, stackName: AWSProton-queue-cloudformation-ABCDEFGHIJKLM}\n"
    )
    made.repo.commit("web in test as 'production', adopting Proton's queue")

    planned = {u.unit_id: u for u in made.plan().plan.units}
    applied = made.apply()

    adopted = "component/web/production/queue"
    assert planned[adopted].action == "adopt"
    assert applied.report.ok, applied.report.outcomes
    record = made.store.unit(adopted)
    assert record is not None
    assert record.stack_name == "AWSProton-queue-cloudformation-ABCDEFGHIJKLM"
    # Taken over, never created again: the one update brings its description in line.
    assert made.aws.stack_operations(made.accounts.test, record.stack_name) == [
        "CREATE_IN_PROGRESS",
        "UPDATE_IN_PROGRESS",
    ]
    assert made.stack(adopted)["RoleARN"] == component_role_of(made.accounts.test)


def test_a_removed_service_deletes_its_instance_before_its_components(
    harness: MakeHarness,
) -> None:
    made = harness(component_platform)
    assert made.apply().report.ok
    made.repo.remove("services/web.yaml")
    made.repo.commit("no more web")

    applied = made.apply()

    assert applied.report.ok, applied.report.outcomes
    assert made.aws.stacks(made.accounts.test).keys() == {"goldenpath-environment-test"}
    web_deleted = made.store.history(WEB)[0]
    queue_deleted = made.store.history(QUEUE)[0]
    assert (web_deleted.status, queue_deleted.status) == ("DELETE_COMPLETE", "DELETE_COMPLETE")
    assert web_deleted.finished_at is not None and queue_deleted.started_at is not None
    assert web_deleted.finished_at <= queue_deleted.started_at
