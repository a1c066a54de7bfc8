"""Terraform units in the plan: decided on their files' fingerprint, shown at file level.

A Terraform unit's record is written by whoever applies it (the provisioning repository
and its notification); here the record is written as that would, with the fingerprint
the plan gave and the outputs Terraform reported.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path

import pytest

from goldenpath.noop_mark import OfflineCloud
from reconciler.apply.engine import Reconciler
from reconciler.apply.records import recorded_views
from reconciler.plan.diff import make_plan
from reconciler.plan.model import Plan
from reconciler.plan.planning import Planned
from reconciler.render import Renderer
from reconciler.source.worktree import WorkingTree
from reconciler.specs.model import PruneRules
from reconciler.state import StateStore, UnitRecord
from tests.support.platform_repo import (
    PlatformRepo,
    write_env_template,
    write_environment,
    write_teams,
)
from tests.support.terraform_repo import (
    ENV,
    ENV_OUTPUTS,
    INSTANCE,
    SERVICE,
    TF_ENV_SCHEMA,
    TF_MANIFEST,
    tf_platform,
    write_tf_env_template,
)

ENV_ID = f"environment/{ENV}"
INSTANCE_ID = f"service/{SERVICE}/{INSTANCE}"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    opened = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        yield opened
    finally:
        opened.close()


def plan(repo: PlatformRepo, store: StateStore) -> Planned:
    return Reconciler(store, OfflineCloud()).plan(WorkingTree(repo.root).snapshot())


def applied(store: StateStore, planned: Planned, unit_id: str, outputs: Mapping[str, str]) -> None:
    """Record ``unit_id`` as applied with the fingerprint its plan gave."""
    item = planned.plan.of(unit_id)
    assert item is not None and item.fingerprint is not None
    store.save_units(
        [
            UnitRecord(
                id=unit_id,
                kind=item.kind,  # type: ignore[arg-type]
                stack_name="",
                account=item.target.id,
                region=item.target.region,
                template=item.template or "",
                version=item.to_version or "",
                updated_at=datetime.now(UTC),
                fingerprint=item.fingerprint,
                outputs=outputs,
            )
        ]
    )


def actions(plan: Plan) -> dict[str, str]:
    return {u.unit_id: u.action for u in plan.units}


def test_unchanged_terraform_units_are_noops(tmp_path: Path, store: StateStore) -> None:
    repo = tf_platform(tmp_path / "repo")
    first = plan(repo, store)
    assert actions(first.plan) == {ENV_ID: "create", INSTANCE_ID: "create"}
    env = first.plan.of(ENV_ID)
    assert env is not None and env.platform == "terraform" and env.files is not None
    assert [(f.path, f.action) for f in env.files] == [
        ("config.tf", "add"),
        ("outputs.tf", "add"),
        ("proton.auto.tfvars.json", "add"),
        ("proton.environment.variables.tf", "add"),
        ("vpc.tf", "add"),
    ]
    waiting = first.plan.of(INSTANCE_ID)
    assert waiting is not None and waiting.known_after_apply == (ENV_ID,)
    assert waiting.fingerprint is None and waiting.files is None
    applied(store, first, ENV_ID, ENV_OUTPUTS)
    second = plan(repo, store)
    assert actions(second.plan) == {ENV_ID: "noop", INSTANCE_ID: "create"}
    applied(store, second, INSTANCE_ID, {"lambda_arn": "whocares"})
    third = plan(repo, store)
    assert actions(third.plan) == {ENV_ID: "noop", INSTANCE_ID: "noop"}
    assert not third.plan.has_changes


def test_a_changed_input_is_an_update_showing_the_changed_file(
    tmp_path: Path, store: StateStore
) -> None:
    repo = tf_platform(tmp_path / "repo")
    applied(store, plan(repo, store), ENV_ID, ENV_OUTPUTS)
    repo.write(
        f"environments/{ENV}.yaml",
        (repo.root / f"environments/{ENV}.yaml").read_text().replace("my_tf_vpc", "another_vpc"),
    )
    repo.commit("another vpc name")
    again = plan(repo, store)
    item = again.plan.of(ENV_ID)
    assert item is not None and item.action == "update"
    assert item.files is not None
    [change] = item.files
    assert (change.path, change.action) == ("proton.auto.tfvars.json", "modify")
    assert '-      "vpc_name" : "my_tf_vpc"' in change.diff
    assert '+      "vpc_name" : "another_vpc"' in change.diff
    document = again.plan.to_json()["units"][0]
    assert document["platform"] == "terraform" and document["stack_name"] is None
    assert document["files"] == [change.to_json()]


def test_an_update_whose_last_files_are_unknown_says_so(tmp_path: Path, store: StateStore) -> None:
    repo = tf_platform(tmp_path / "repo")
    first = plan(repo, store)
    applied(store, first, ENV_ID, ENV_OUTPUTS)
    store.cache_delete("terraform-files", first.plan.of(ENV_ID).fingerprint or "")  # type: ignore[union-attr]
    repo.write(
        f"environments/{ENV}.yaml",
        (repo.root / f"environments/{ENV}.yaml").read_text().replace("my_tf_vpc", "other"),
    )
    item = plan(repo, store).plan.of(ENV_ID)
    assert item is not None and (item.action, item.files) == ("update", None)


def test_a_live_look_never_finds_a_terraform_unit_gone(tmp_path: Path, store: StateStore) -> None:
    """--refresh asks CloudFormation; a Terraform unit has no stack to find there."""
    repo = tf_platform(tmp_path / "repo")
    first = plan(repo, store)
    applied(store, first, ENV_ID, ENV_OUTPUTS)
    views = recorded_views(store, store.units())
    result = make_plan(
        first.build.state,
        views,
        renderer=Renderer(),
        prune=PruneRules(),
        live={ENV_ID: None, INSTANCE_ID: None},
    )
    assert actions(result)[ENV_ID] == "noop"
    # And the instance reads the environment's recorded outputs, not "gone".
    item = result.of(INSTANCE_ID)
    assert item is not None and item.known_after_apply == ()


def test_apply_refuses_terraform_units_without_a_cloud_call(
    tmp_path: Path, store: StateStore
) -> None:
    repo = tf_platform(tmp_path / "repo")
    engine = Reconciler(store, OfflineCloud())  # any cloud call fails the test
    done = engine.apply(WorkingTree(repo.root).snapshot())
    outcome = done.report.outcomes[ENV_ID]
    assert (outcome.kind, outcome.reason) == ("blocked", "TerraformNotApplied")
    assert "not sent to CloudFormation" in outcome.message
    assert done.report.outcomes[INSTANCE_ID].kind == "blocked"


def test_a_cloudformation_service_runs_in_a_terraform_environment(
    tmp_path: Path, store: StateStore
) -> None:
    from tests.support.platform_repo import write_service, write_svc_template

    repo = PlatformRepo(tmp_path / "repo")
    write_teams(repo)
    write_tf_env_template(repo)
    write_svc_template(repo, env="tfenv:1")
    write_environment(repo, "test", template="tfenv")
    write_service(repo, "web")
    repo.commit("CloudFormation on Terraform")
    first = plan(repo, store)
    applied(store, first, "environment/test", {"VpcId": "vpc-from-terraform"})
    second = plan(repo, store)
    item = second.plan.of("service/web/test")
    assert item is not None and item.platform == "cloudformation"
    assert item.rendered is not None and "vpc-from-terraform" in item.rendered.body
    assert item.known_after_apply == ()


def test_a_terraform_service_runs_in_a_cloudformation_environment(
    tmp_path: Path, store: StateStore
) -> None:
    repo = PlatformRepo(tmp_path / "repo")
    write_teams(repo)
    write_env_template(repo)
    root = "templates/tfsvc/v1"
    repo.write(f"{root}/schema/schema.yaml", TF_SVC_SCHEMA)
    repo.write(f"{root}/instance_infrastructure/manifest.yaml", TF_MANIFEST)
    repo.write(f"{root}/instance_infrastructure/main.tf", TF_SVC_MAIN)
    repo.write(f"{root}/.template-registration.yaml", "compatible_environments: ['env:1']\n")
    write_environment(repo, "test")
    repo.write(
        "services/web.yaml",
        """
        apiVersion: goldenpath.dev/v1
        kind: Service
        metadata: {name: web, team: storefront}
        spec:
          template: {name: tfsvc, version: "1"}
          instances: [{name: test, environment: test}]
        """,
    )
    repo.commit("Terraform on CloudFormation")
    first = plan(repo, store)
    assert first.plan.of("environment/test").platform == "cloudformation"  # type: ignore[union-attr]
    applied(store, first, "environment/test", {"VpcId": "vpc-from-cloudformation"})
    item = plan(repo, store).plan.of("service/web/test")
    assert item is not None and item.platform == "terraform" and item.action == "create"
    assert item.rendered is not None and item.rendered.terraform is not None
    tfvars = item.rendered.terraform.files["proton.auto.tfvars.json"].decode()
    assert '"VpcId" : "vpc-from-cloudformation"' in tfvars


TF_SVC_SCHEMA = TF_ENV_SCHEMA.replace("environment_input_type", "service_input_type")
TF_SVC_MAIN = """
resource "aws_sqs_queue" "jobs" {
  name = "${var.service.name}-${var.service_instance.name}"
  tags = {
    vpc = var.environment.outputs.VpcId
  }
}
"""


def test_a_removed_terraform_unit_is_never_deleted_through_cloudformation(
    tmp_path: Path, store: StateStore
) -> None:
    repo = tf_platform(tmp_path / "repo")
    repo.write(
        "goldenpath.yaml",
        """
        apiVersion: goldenpath.dev/v1
        kind: Platform
        metadata: {name: pizza-ananas}
        spec:
          region: us-east-1
          prune: {service: true}
        """,
    )
    first = plan(repo, store)
    assert first.plan.of(ENV_ID).stack_name == ""  # type: ignore[union-attr]
    applied(store, first, ENV_ID, ENV_OUTPUTS)
    applied(store, plan(repo, store), INSTANCE_ID, {})
    repo.remove(f"services/{SERVICE}.yaml")
    repo.commit("the service is gone")
    item = plan(repo, store).plan.of(INSTANCE_ID)
    assert item is not None and (item.action, item.platform) == ("delete", "terraform")
    done = Reconciler(store, OfflineCloud()).apply(WorkingTree(repo.root).snapshot())
    outcome = done.report.outcomes[INSTANCE_ID]
    assert (outcome.kind, outcome.reason) == ("blocked", "TerraformNotApplied")
    assert store.unit(INSTANCE_ID) is not None  # nothing recorded is lost


def test_secret_inputs_are_masked_in_file_diffs(tmp_path: Path, store: StateStore) -> None:
    repo = PlatformRepo(tmp_path / "repo")
    write_teams(repo)
    write_tf_env_template(repo)
    repo.write(
        "templates/tfenv/v1/schema/schema.yaml",
        TF_ENV_SCHEMA + "        db_password: {type: string, format: password}\n",
    )
    write_environment(repo, "test", template="tfenv")
    repo.write(
        "environments/test.yaml",
        (repo.root / "environments/test.yaml").read_text()
        + "  inputs: {db_password: hunter2-s3cr3t}\n",
    )
    repo.commit("a secret input")
    planned = plan(repo, store)
    item = planned.plan.of("environment/test")
    assert item is not None and item.files
    text = str(planned.plan.to_json())
    assert "hunter2-s3cr3t" not in text
    assert '"db_password" : "********"' in next(
        f.diff for f in item.files if f.path == "proton.auto.tfvars.json"
    )
    kept = store.cache_get("terraform-files", item.fingerprint or "")
    assert kept is not None and "hunter2-s3cr3t" not in str(kept)
