"""The whole cycle against the emulator over HTTP: create, outputs, update, no-op, prune."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.engine.conftest import Build, Harness
from tests.engine.platforms import cycle_platform, data_platform, set_inputs

MUTATING = {
    "cloudformation:CreateStack",
    "cloudformation:UpdateStack",
    "cloudformation:DeleteStack",
    "cloudformation:CreateChangeSet",
    "cloudformation:ExecuteChangeSet",
}
# Each unit of the cycle platform, and the units it must come after.
CYCLE_EDGES = {
    "service/orders/test": ["environment/test"],
    "service/orders/production": ["environment/production"],
    "service/web/test": ["environment/test", "service/orders/test"],
    "pipeline/orders": ["service/orders/test", "service/orders/production"],
}

MakeHarness = Callable[[Build], Harness]


@pytest.fixture
def cycle(harness: MakeHarness) -> Harness:
    """The cycle platform, applied once."""
    made = harness(cycle_platform)
    applied = made.apply()
    assert applied.report.ok, applied.report.outcomes
    return made


def test_the_first_plan_creates_every_unit_and_waits_for_outputs(harness: MakeHarness) -> None:
    made = harness(cycle_platform)

    plan = made.plan().plan

    assert plan.summary["create"] == 6
    web = plan.of("service/web/test")
    assert web is not None
    assert set(web.known_after_apply) == {"environment/test", "service/orders/test"}
    assert "known after apply" in web.reason


def test_environments_come_before_instances_and_instances_before_pipelines(
    cycle: Harness,
) -> None:
    for unit_id, dependencies in CYCLE_EDGES.items():
        (created,) = cycle.store.history(unit_id)
        for dependency in dependencies:
            (before,) = cycle.store.history(dependency)
            assert before.finished_at is not None
            assert before.finished_at <= created.started_at, (
                f"{unit_id} started before {dependency} finished"
            )
    statuses = {u.id: cycle.stack(u.id)["StackStatus"] for u in cycle.store.units()}
    assert set(statuses.values()) == {"CREATE_COMPLETE"}
    assert len(statuses) == 6


def test_outputs_flow_into_the_templates_of_dependants(cycle: Harness) -> None:
    outputs = {
        unit_id: {o["OutputKey"]: o["OutputValue"] for o in cycle.stack(unit_id)["Outputs"]}  # type: ignore[attr-defined]
        for unit_id in ("environment/test", "service/orders/test", "service/orders/production")
    }
    web = cycle.aws.template(cycle.accounts.test, "goldenpath-service-web-test")
    pipeline = cycle.aws.template(cycle.accounts.pipelines, "goldenpath-pipeline-orders")

    assert outputs["environment/test"]["VpcId"] in web
    assert outputs["service/orders/test"]["QueueUrl"] in web
    assert outputs["service/orders/test"]["QueueUrl"] in pipeline
    assert outputs["service/orders/production"]["QueueUrl"] in pipeline
    recorded = cycle.store.unit("service/orders/test")
    assert recorded is not None and dict(recorded.outputs) == outputs["service/orders/test"]


def test_a_changed_input_updates_only_that_stack(cycle: Harness) -> None:
    set_inputs(cycle.repo, "orders", "production", "{size: 5}")
    revision = cycle.repo.commit("orders in production: size 5")

    applied = cycle.apply()

    changed = {u: o.kind for u, o in applied.report.outcomes.items() if o.kind != "unchanged"}
    assert changed == {"service/orders/production": "applied"}
    assert cycle.stack("service/orders/production")["StackStatus"] == "UPDATE_COMPLETE"
    body = cycle.aws.template(cycle.accounts.production, "goldenpath-service-orders-production")
    assert "DelaySeconds: 5" in body
    history = cycle.store.history("service/orders/production")
    assert [d.status for d in history] == ["SUCCEEDED", "SUCCEEDED"]
    assert history[0].revision == revision
    record = cycle.store.unit("service/orders/production")
    assert record is not None and record.last_applied_revision == revision


def test_a_second_apply_makes_no_cloud_calls(cycle: Harness) -> None:
    before = cycle.cloud.api_calls()

    applied = cycle.apply()

    assert cycle.cloud.api_calls() == before
    assert {o.kind for o in applied.report.outcomes.values()} == {"unchanged"}
    assert not applied.planned.plan.has_changes


def test_a_removed_service_is_pruned_when_pruning_is_allowed(cycle: Harness) -> None:
    cycle.repo.remove("services/web.yaml")
    cycle.repo.commit("web is retired")
    calls = cycle.cloud.api_calls()

    plan = cycle.plan().plan
    applied = cycle.apply()

    planned = plan.of("service/web/test")
    assert planned is not None and planned.action == "delete"
    assert applied.report.outcomes["service/web/test"].kind == "applied"
    assert "goldenpath-service-web-test" not in cycle.aws.stacks(cycle.accounts.test)
    assert cycle.store.unit("service/web/test") is None
    assert [d.status for d in cycle.store.history("service/web/test")] == [
        "DELETE_COMPLETE",
        "SUCCEEDED",
    ]
    made = {k: v - calls.get(k, 0) for k, v in cycle.cloud.api_calls().items()}
    assert {k: v for k, v in made.items() if k in MUTATING and v} == {
        "cloudformation:DeleteStack": 1
    }


def test_a_removed_environment_is_kept_when_pruning_is_refused(cycle: Harness) -> None:
    cycle.repo.remove("environments/production.yaml")
    set_production_free = cycle.repo.root / "services/orders.yaml"
    text = set_production_free.read_text()
    set_production_free.write_text(
        text.replace("    - name: production\n      environment: production\n", "")
    )
    cycle.repo.commit("production is gone from the repo")

    plan = cycle.plan().plan
    applied = cycle.apply()

    refused = plan.of("environment/production")
    assert refused is not None and refused.action == "denied"
    assert "does not allow pruning (environment)" in refused.reason
    assert "goldenpath-environment-production" in cycle.aws.stacks(cycle.accounts.production)
    assert cycle.store.unit("environment/production") is not None
    # The instance in it may go: services may be pruned.
    assert applied.report.outcomes["service/orders/production"].kind == "applied"
    assert "goldenpath-service-orders-production" not in cycle.aws.stacks(cycle.accounts.production)


def test_a_data_template_keeps_its_bucket_and_table_when_its_stack_is_deleted(
    harness: MakeHarness,
) -> None:
    made = harness(data_platform)
    assert made.apply().report.ok
    outputs = made.store.unit("service/orders-db/test")
    assert outputs is not None
    bucket, table = outputs.outputs["BucketName"], outputs.outputs["TableName"]
    made.repo.remove("services/orders-db.yaml")
    made.repo.commit("orders-db is retired")

    plan = made.plan().plan
    applied = made.apply()

    deleting = plan.of("service/orders-db/test")
    assert deleting is not None and deleting.action == "delete"
    assert "data resources are kept" in deleting.reason
    assert applied.report.outcomes["service/orders-db/test"].kind == "applied"
    assert "goldenpath-service-orders-db-test" not in made.aws.stacks(made.accounts.test)
    s3 = made.aws.client("s3", made.accounts.test)
    dynamodb = made.aws.client("dynamodb", made.accounts.test)
    s3.head_bucket(Bucket=bucket)
    assert dynamodb.describe_table(TableName=table)["Table"]["TableStatus"] == "ACTIVE"


def test_the_deployed_data_template_carries_retain_policies(harness: MakeHarness) -> None:
    made = harness(data_platform)

    plan = made.plan().plan
    assert made.apply().report.ok

    creating = plan.of("service/orders-db/test")
    assert creating is not None
    assert set(creating.retained) == {
        "Bucket (AWS::S3::Bucket, Retain)",
        "Table (AWS::DynamoDB::Table, Retain)",
    }
    body = made.aws.template(made.accounts.test, "goldenpath-service-orders-db-test")
    assert body.count('"DeletionPolicy": "Retain"') == 2


def test_each_account_sees_only_its_own_stacks(cycle: Harness) -> None:
    accounts = cycle.accounts

    seen = {
        account: set(cycle.aws.stacks(account))
        for account in (accounts.test, accounts.production, accounts.pipelines)
    }

    assert seen == {
        accounts.test: {
            "goldenpath-environment-test",
            "goldenpath-service-orders-test",
            "goldenpath-service-web-test",
        },
        accounts.production: {
            "goldenpath-environment-production",
            "goldenpath-service-orders-production",
        },
        accounts.pipelines: {"goldenpath-pipeline-orders"},
    }
    assert not set(cycle.aws.stacks(None)) & set().union(*seen.values())
    for record in cycle.store.units():
        assert record.stack_id is not None and f":{record.account}:" in record.stack_id


def test_a_changed_output_updates_its_dependants_in_the_same_apply(cycle: Harness) -> None:
    old_vpc = cycle.stack("environment/test")["Outputs"][0]["OutputValue"]  # type: ignore[index]
    env = cycle.repo.root / "environments/test.yaml"
    env.write_text(env.read_text().replace("spec:\n", "spec:\n  inputs: {vpc_cidr: 10.9.0.0/16}\n"))
    cycle.repo.commit("test: a new VPC range (the VPC is replaced)")

    plan = cycle.plan().plan
    applied = cycle.apply()

    assert [u.unit_id for u in plan.units if u.action != "noop"] == ["environment/test"]
    new_vpc = cycle.stack("environment/test")["Outputs"][0]["OutputValue"]  # type: ignore[index]
    assert new_vpc != old_vpc
    changed = {u for u, o in applied.report.outcomes.items() if o.kind == "applied"}
    assert changed == {"environment/test", "service/orders/test", "service/web/test"}
    for stack in ("goldenpath-service-orders-test", "goldenpath-service-web-test"):
        body = cycle.aws.template(cycle.accounts.test, stack)
        assert new_vpc in body and old_vpc not in body


def test_a_removed_service_loses_its_pipeline_before_its_instances(cycle: Harness) -> None:
    cycle.repo.remove("services/orders.yaml")
    cycle.repo.remove("services/web.yaml")
    cycle.repo.commit("orders and web are retired")

    applied = cycle.apply()

    assert applied.report.ok, applied.report.outcomes
    (pipeline, _created) = cycle.store.history("pipeline/orders")
    for instance in ("service/orders/test", "service/orders/production"):
        (deleted, _) = cycle.store.history(instance)
        assert deleted.status == "DELETE_COMPLETE"
        assert pipeline.finished_at is not None
        assert pipeline.finished_at <= deleted.started_at
    assert set(cycle.aws.stacks(cycle.accounts.test)) == {"goldenpath-environment-test"}
    assert cycle.aws.stacks(cycle.accounts.pipelines) == {}
