"""A realistic state store for the web tests: Pizza&Ananas after a few days of work.

Everything is written through the ``StateStore`` API, as the engine writes it: three
environments, five services (one with a pipeline, one with a component), conditions of
every kind, deployment histories, a rollout halted at its second wave, recommended
versions that leave some units outdated, and the plan of an open pull request built
from the planner's own types.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from reconciler.caching import RECOMMENDED
from reconciler.errors import Problem
from reconciler.plan.model import Plan, ResourceChange, UnitPlan
from reconciler.specs.model import Account
from reconciler.state import (
    Condition,
    ConditionType,
    DeploymentStatus,
    Rollout,
    StateStore,
    UnitRecord,
)
from webhooks.views import PLANS_NAMESPACE

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ACCOUNTS = {"test": "111111111111", "staging": "222222222222", "production": "333333333333"}
PIPELINES_ACCOUNT = "444444444444"
REGION = "us-west-2"
ENVIRONMENTS = ("test", "staging", "production")
HEAD = "9f2c1e7ab34d5e6f708192a3b4c5d6e7f8091a2b"
OLDER = "3b1d0c9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c"
SCRIPT_MESSAGE = "<script>alert('pwned')</script> stack rollback"
# As reconciler.checks.runner.plan_key words it: forge, repository, number.
PR_KEY = "github-pizza-ananas-platform-12"


class SteppingClock:
    """A clock that moves only when told; each ``now`` a deployment stamps is readable."""

    def __init__(self, start: datetime = START) -> None:
        self.moment = start

    def now(self) -> datetime:
        return self.moment

    def advance(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)


@dataclass(frozen=True)
class Estate:
    """The ids the tests look for."""

    ready: str = "service/web/test"
    stalled: str = "service/web/production"
    reconciling: str = "service/menu-api/staging"
    outdated: str = "environment/production"
    pipeline: str = "pipeline/web"
    component: str = "component/web/test/cache"
    database: str = "service/orders-db/test"
    deleted: str = "service/legacy-api/test"
    plan_key: str = PR_KEY


def _conditions(state: str, reason: str, message: str, now: datetime) -> tuple[Condition, ...]:
    """As the engine's ``summarize`` sets them: Ready always explains itself, the others
    only while they hold."""
    held: dict[ConditionType, bool] = {
        "Ready": state == "Ready",
        "Reconciling": state == "Reconciling",
        "Stalled": state == "Stalled",
    }
    return tuple(
        Condition(
            kind,
            status,
            reason if status or kind == "Ready" else "",
            message if status or kind == "Ready" else "",
            now,
        )
        for kind, status in held.items()
    )


def unit_record(
    unit_id: str,
    template: str,
    version: str,
    now: datetime,
    *,
    state: str = "Ready",
    reason: str = "UpToDate",
    message: str = "up to date",
    outputs: dict[str, str] | None = None,
) -> UnitRecord:
    kind = unit_id.split("/")[0]
    parts = unit_id.split("/")
    environment = parts[1] if kind == "environment" else parts[2] if len(parts) > 2 else ""
    account = ACCOUNTS.get(environment, PIPELINES_ACCOUNT)
    stack = "-".join(["goldenpath", *parts])
    return UnitRecord(
        id=unit_id,
        kind=kind,  # type: ignore[arg-type]
        stack_name=stack,
        account=account,
        region=REGION,
        template=template,
        version=version,
        updated_at=now,
        fingerprint="sha256:" + hashlib.sha256(unit_id.encode()).hexdigest()[:16],
        stack_id=f"arn:aws:cloudformation:{REGION}:{account}:stack/{stack}/0b3e",
        outputs=outputs or {},
        conditions=_conditions(state, reason, message, now),
        last_attempted_revision=HEAD,
        last_applied_revision=OLDER if state != "Ready" else HEAD,
    )


def _deploy(
    store: StateStore,
    clock: SteppingClock,
    unit_id: str,
    runs: list[tuple[str, str, DeploymentStatus, str]],
) -> None:
    for revision, version, status, message in runs:
        deployment = store.start_deployment(unit_id, revision, version)
        clock.advance(150)
        if status != "IN_PROGRESS":
            store.finish_deployment(deployment.id, status, message)
        clock.advance(600)


def fill(store: StateStore, clock: SteppingClock) -> Estate:
    """Write the whole estate into ``store``; returns the ids worth looking at."""
    estate = Estate()
    now = clock.now()
    records = [
        unit_record(
            "environment/test",
            "pizza-env",
            "1.2",
            now,
            outputs={"VpcId": "vpc-0a1b", "ClusterName": "pizza-test"},
        ),
        unit_record(
            "environment/staging",
            "pizza-env",
            "1.2",
            now,
            outputs={"VpcId": "vpc-0c2d", "ClusterName": "pizza-staging"},
        ),
        unit_record(
            estate.outdated,
            "pizza-env",
            "1.1",
            now,
            outputs={"VpcId": "vpc-0e3f", "ClusterName": "pizza-production"},
        ),
        unit_record(
            estate.ready,
            "public-web-svc",
            "1.3",
            now,
            outputs={
                "ServiceEndpoint": "https://web-test.pizza-ananas.example",
                "ApiToken": "tok-3141592653",
            },
        ),
        unit_record(
            "service/web/staging",
            "public-web-svc",
            "1.3",
            now,
            outputs={"ServiceEndpoint": "https://web-staging.pizza-ananas.example"},
        ),
        unit_record(
            estate.stalled,
            "public-web-svc",
            "1.2",
            now,
            state="Stalled",
            reason="StackFailed",
            message=SCRIPT_MESSAGE,
            outputs={"ServiceEndpoint": "https://web.pizza-ananas.example"},
        ),
        unit_record(
            estate.pipeline,
            "public-web-svc",
            "1.3",
            now,
            outputs={"PipelineEndpoint": "https://console.aws.amazon.com/codesuite/web"},
        ),
        unit_record(
            estate.component,
            "redis-cache",
            "1.0",
            now,
            outputs={"CacheHost": "cache.web-test.internal"},
        ),
        unit_record(
            "service/menu-api/test",
            "private-web-svc",
            "1.0",
            now,
            outputs={"InternalUrl": "http://menu-api.test.internal:8080"},
        ),
        unit_record(
            estate.reconciling,
            "private-web-svc",
            "1.0",
            now,
            state="Reconciling",
            reason="Progressing",
            message="update issued",
        ),
        unit_record(
            estate.database,
            "postgres-db",
            "1.0",
            now,
            outputs={
                "Host": "orders-db.c9akciq32.us-west-2.rds.amazonaws.com",
                "Port": "5432",
                "DatabaseSecretArn": "arn:aws:secretsmanager:us-west-2:111111111111:secret:db-Xy",
                "MasterPassword": "correct-horse-battery-staple",
            },
        ),
        unit_record(
            "service/orders-db/staging",
            "postgres-db",
            "1.0",
            now,
            state="Reconciling",
            reason="DependencyNotReady",
            message="waiting for environment/staging",
        ),
        unit_record(
            "service/order-events/test",
            "function-svc",
            "2.0",
            now,
            outputs={"FunctionArn": "arn:aws:lambda:us-west-2:111111111111:function:oe"},
        ),
    ]
    store.save_units(records)
    store.cache_put_many(
        RECOMMENDED,
        {
            "pizza-env": "1.2",
            "public-web-svc": "1.3",
            "private-web-svc": "1.0",
            "postgres-db": "1.0",
            "function-svc": "2.0",
            "redis-cache": "1.0",
        },
    )
    _deploy(
        store,
        clock,
        estate.ready,
        [
            (OLDER, "1.2", "SUCCEEDED", ""),
            (HEAD, "1.3", "SUCCEEDED", ""),
        ],
    )
    _deploy(
        store,
        clock,
        estate.stalled,
        [
            (OLDER, "1.2", "SUCCEEDED", ""),
            (HEAD, "1.3", "FAILED", SCRIPT_MESSAGE),
        ],
    )
    _deploy(store, clock, estate.reconciling, [(HEAD, "1.0", "IN_PROGRESS", "")])
    _deploy(store, clock, estate.deleted, [(OLDER, "1.0", "DELETE_COMPLETE", "pruned")])
    rollout = Rollout.begin(
        "public-web-svc", 1, "1.2", "1.3", [[e] for e in ENVIRONMENTS], clock.now()
    )
    rollout = rollout.with_wave(0, "succeeded", clock.now())
    rollout = rollout.with_wave(1, "succeeded", clock.now())
    rollout = rollout.with_wave(
        2, "failed", clock.now(), "service/web/production failed: stack rollback"
    )
    store.save_rollout(rollout)
    store.cache_put(PLANS_NAMESPACE, estate.plan_key, pull_request_plan())
    return estate


def pull_request_plan() -> dict[str, Any]:
    """A plan as the PR checks store it: the planner's own ``Plan.to_json()``, plus the
    problems, the blast radius and the change request (``reconciler.checks.runner``)."""
    test = Account(ACCOUNTS["test"], REGION)
    plan = Plan(
        revision=HEAD,
        units=(
            UnitPlan(
                "service/web/test",
                "service",
                "update",
                "template version changed",
                "goldenpath-service-web-test",
                test,
                "1.2",
                "1.3",
                "public-web-svc",
                changes=(
                    ResourceChange(
                        "LoadBalancer",
                        "AWS::ElasticLoadBalancingV2::LoadBalancer",
                        "Modify",
                        "True",
                    ),
                    ResourceChange(
                        "TaskDefinition", "AWS::ECS::TaskDefinition", "Modify", "Conditional"
                    ),
                    ResourceChange("LogGroup", "AWS::Logs::LogGroup", "Add"),
                ),
            ),
            UnitPlan(
                "service/reviews/test",
                "service",
                "create",
                "new unit",
                "goldenpath-service-reviews-test",
                test,
                None,
                "1.0",
                "function-svc",
                known_after_apply=("service/orders-db/test",),
            ),
            UnitPlan(
                "service/legacy-api/test",
                "service",
                "delete",
                "spec removed",
                "goldenpath-service-legacy-api-test",
                test,
                "1.0",
                None,
                "dynamodb-table",
                retained=("Table",),
            ),
            UnitPlan(
                "environment/test",
                "environment",
                "noop",
                "up to date",
                "goldenpath-environment-test",
                test,
                "1.2",
                "1.2",
                "pizza-env",
            ),
        ),
    )
    document = plan.to_json()
    document["warnings"] = [
        Problem(
            "services/reviews.yaml", 3, "metadata.team", "team 'reviews' has no members"
        ).as_dict()
    ]
    document["blast_radius"] = [
        {
            "unit": "service/web/test",
            "template": "public-web-svc",
            "from": "1.2",
            "to": "1.3",
            "effect": "moves",
            "diff": "--- 1.2\n+++ 1.3\n-      MemorySize: 512\n+      MemorySize: 1024\n"
            "+      Tracing: <Active>\n",
        },
        {
            "unit": "service/web/production",
            "template": "public-web-svc",
            "from": "1.2",
            "to": "1.3",
            "effect": "outdated",
            "diff": "",
        },
    ]
    document["change_request"] = {
        "key": PR_KEY,
        "forge": "github",
        "repo": "pizza-ananas/platform",
        "number": 12,
        "head": HEAD,
        "author": "gregg",
        "title": "Add the <reviews> service",
        "url": "https://github.com/pizza-ananas/platform/pull/12",
    }
    document["errors"] = [
        Problem(
            "services/reviews.yaml",
            14,
            "spec.instances[0].inputs.memory",
            "<b>512MB</b> is not an integer",
        ).as_dict()
    ]
    return document
