"""The swap on the emulator: private-web-svc moves from Fargate to App Runner in waves.

The example is committed to a git repo and applied by the engine against the embedded
emulator (over HTTP, boto3, STS per account); then the App Runner version is merged and
applied again. Every menu-api instance moves, test, then staging, then production; web,
which binds menu-api, is rendered again with the new address; no file under services/
changes. With updates failing in staging's account, the rollout halts before production.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

import emulator
from reconciler.apply.engine import Applied, Reconciler
from reconciler.apply.executor import ApplySettings
from reconciler.cloud import AccessKey, AwsCloud, CloudSettings, WaitSchedule
from reconciler.desired.template_body import load_body
from reconciler.report.status import status_document
from reconciler.source.git import GitSource
from reconciler.state import StateStore
from tests.example.swap import changed_paths, merge_swap
from tests.support.platform_repo import PlatformRepo, example_platform

pytestmark = pytest.mark.slow

MENU_API = ("service/menu-api/test", "service/menu-api/staging", "service/menu-api/production")
ACCOUNTS = {"test": "111111111111", "staging": "222222222222", "production": "333333333333"}
FAST_APPLY = ApplySettings(poll_first=0.02, poll_max=0.2)


@pytest.fixture(scope="module")
def cloud_url() -> Iterator[str]:
    with emulator.start_embedded() as running:
        yield running.url


@dataclass
class Example:
    repo: PlatformRepo
    store: StateStore
    url: str

    def apply(self) -> Applied:
        cloud = AwsCloud(
            CloudSettings(
                endpoint_url=self.url,
                access_key=AccessKey("testing", "testing"),
                wait=WaitSchedule(first_interval=0.05, max_interval=0.2, timeout=120.0),
            )
        )
        snapshot = GitSource.open(self.repo.root).snapshot("HEAD")
        return Reconciler(self.store, cloud, settings=FAST_APPLY).apply(snapshot)

    def cloudformation(self, environment: str) -> Any:
        account = ACCOUNTS[environment]
        sts = boto3.client(
            "sts",
            endpoint_url=self.url,
            region_name="us-west-2",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        keys = sts.assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/goldenpath-deployer", RoleSessionName="swap-test"
        )["Credentials"]
        return boto3.client(
            "cloudformation",
            endpoint_url=self.url,
            region_name="us-west-2",
            aws_access_key_id=keys["AccessKeyId"],
            aws_secret_access_key=keys["SecretAccessKey"],
            aws_session_token=keys["SessionToken"],
        )

    def resource_types(self, unit_id: str) -> set[str]:
        environment = unit_id.rsplit("/", 1)[1]
        stack = "goldenpath-" + unit_id.replace("/", "-")
        body = self.cloudformation(environment).get_template(StackName=stack)["TemplateBody"]
        data = body if isinstance(body, dict) else load_body(body)
        return {r["Type"] for r in data["Resources"].values()}

    def variable(self, unit_id: str, name: str) -> str:
        """An environment variable of a Fargate service's live template (web's)."""
        environment = unit_id.rsplit("/", 1)[1]
        stack = "goldenpath-" + unit_id.replace("/", "-")
        body = self.cloudformation(environment).get_template(StackName=stack)["TemplateBody"]
        data = body if isinstance(body, dict) else load_body(body)
        [container] = data["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"]
        return next(str(v["Value"]) for v in container["Environment"] if v["Name"] == name)

    def versions(self) -> dict[str, str]:
        return {r.id: r.version for r in self.store.units() if r.id in MENU_API}

    def rollout(self) -> dict[str, Any]:
        [rollout] = [
            r for r in status_document(self.store)["rollouts"] if r["template"] == "private-web-svc"
        ]
        return dict(rollout)


@pytest.fixture
def example(tmp_path: Path, cloud_url: str) -> Iterator[Example]:
    httpx.post(f"{cloud_url}/moto-api/reset", timeout=30).raise_for_status()
    store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")
    made = Example(example_platform(tmp_path / "platform"), store, cloud_url)
    applied = made.apply()
    assert applied.report.ok, {
        u: o for u, o in applied.report.outcomes.items() if o.kind != "applied"
    }
    yield made
    httpx.delete(f"{cloud_url}/_goldenpath/faults").raise_for_status()
    store.close()


def test_merging_the_app_runner_version_moves_every_instance_in_waves(example: Example) -> None:
    before = {
        u: example.variable(u, "MENU_API_URL")
        for u in ("service/web/test", "service/web/production")
    }
    assert before["service/web/test"] == "http://menu-api.test.pizza.internal:8080"

    swap = merge_swap(example.repo)
    applied = example.apply()

    assert applied.report.ok, applied.report.outcomes
    assert [
        p
        for p in changed_paths(example.repo, swap)
        if not p.startswith("templates/private-web-svc/v1/")
    ] == []
    assert example.versions() == dict.fromkeys(MENU_API, "1.1")
    for unit_id in MENU_API:
        types = example.resource_types(unit_id)
        assert "AWS::AppRunner::Service" in types and "AWS::ECS::Service" not in types
    moved = {u: example.store.history(u)[0] for u in MENU_API}
    test, staging, production = (moved[u] for u in MENU_API)
    assert test.finished_at <= staging.started_at  # type: ignore[operator]
    assert staging.finished_at <= production.started_at  # type: ignore[operator]
    rollout = example.rollout()
    assert rollout["status"] == "complete"
    assert [(w["environments"], w["status"]) for w in rollout["waves"]] == [
        (["test"], "succeeded"),
        (["staging"], "succeeded"),
        (["production"], "succeeded"),
        (["(pipelines)"], "succeeded"),  # the pipeline's template is unchanged: 1.1 all the same
    ]
    # web binds menu-api: it is rendered again with menu-api's new address, in each wave.
    for unit_id, was in before.items():
        now = example.variable(unit_id, "MENU_API_URL")
        assert now != was and now.startswith("https://") and now.endswith(".awsapprunner.com")
        menu_api = example.store.unit(unit_id.replace("web", "menu-api"))
        assert menu_api is not None and now == menu_api.outputs["Url"]
        assert [d.status for d in example.store.history(unit_id)] == ["SUCCEEDED", "SUCCEEDED"]
    assert "MENU_API_ECS_SERVICE_NAME" not in json.dumps(
        example.cloudformation("test").get_template(StackName="goldenpath-service-web-test")[
            "TemplateBody"
        ]
    )


def test_a_failure_in_staging_halts_the_rollout_before_production(example: Example) -> None:
    httpx.post(
        f"{example.url}/_goldenpath/faults",
        json={"kind": "fail", "operation": "update", "account": ACCOUNTS["staging"]},
    ).raise_for_status()

    merge_swap(example.repo)
    applied = example.apply()

    assert not applied.report.ok
    assert applied.report.outcomes["service/menu-api/staging"].kind == "failed"
    assert example.versions() == {
        "service/menu-api/test": "1.1",
        "service/menu-api/staging": "1.0",
        "service/menu-api/production": "1.0",
    }
    assert "AWS::ECS::Service" in example.resource_types("service/menu-api/production")
    assert [d.status for d in example.store.history("service/menu-api/production")] == ["SUCCEEDED"]
    assert [d.status for d in example.store.history("service/web/production")] == ["SUCCEEDED"]
    rollout = example.rollout()
    assert rollout["status"] == "halted"
    assert [(w["environments"], w["status"]) for w in rollout["waves"]] == [
        (["test"], "succeeded"),
        (["staging"], "failed"),
        (["production"], "pending"),
        (["(pipelines)"], "pending"),
    ]


def test_the_pull_request_shows_the_replaced_resources_of_each_instance(tmp_path: Path) -> None:
    from reconciler.checks.blast import blast_radius
    from reconciler.checks.comment import compose
    from reconciler.plan.model import Recorded
    from reconciler.render import Renderer

    repo = example_platform(tmp_path / "platform")
    source = GitSource.open(repo.root)
    base = source.versions(repo.git("rev-parse", "HEAD"))
    head = source.snapshot(merge_swap(repo))
    deployed = {
        u: Recorded(
            u,
            "service",
            u,
            ACCOUNTS[u.rsplit("/", 1)[1]],
            "us-west-2",
            "private-web-svc",
            "1.0",
            "f",
            {},
        )
        for u in MENU_API
    }

    touched = blast_radius(head, base, deployed, Renderer())

    assert [(t.unit_id, t.effect, t.to_version) for t in touched] == [
        (u, "moves", "1.1") for u in sorted(MENU_API)
    ]
    for entry in touched:
        changes = {(r.action, r.logical_id, r.type) for r in entry.resources}
        assert {
            ("remove", "Service", "AWS::ECS::Service"),
            ("remove", "TaskDefinition", "AWS::ECS::TaskDefinition"),
            ("remove", "DiscoveryService", "AWS::ServiceDiscovery::Service"),
            ("add", "AppRunnerService", "AWS::AppRunner::Service"),
            ("add", "Ingress", "AWS::AppRunner::VpcIngressConnection"),
            ("modify", "TaskRole", "AWS::IAM::Role"),
        } <= changes
    comment = compose(
        head="f" * 40,
        problems=[],
        plan={"units": [], "summary": {}},
        touched=touched,
        plan_url=None,
    )
    assert (
        "`service/menu-api/staging`: removes DiscoveryService (AWS::ServiceDiscovery::Service)"
        in comment
    )
    [staging] = [
        line for line in comment.splitlines() if line.startswith("`service/menu-api/staging`")
    ]
    assert (
        "; adds AccessRole (AWS::IAM::Role), AppRunnerService (AWS::AppRunner::Service)" in staging
    )
