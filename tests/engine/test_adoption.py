"""Stacks Proton left, taken over in place: adopt, never create, never replace.

Each test deploys an environment and a service instance the way Proton did
(``proton_like``), names those stacks in the specs (``stackName``), and plans and applies
with Goldenpath against the emulator, counting the emulator's API calls.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.engine.conftest import Build, Harness
from tests.engine.platforms import Accounts, write_engine_svc_template, write_platform
from tests.engine.proton_like import deploy_like_proton
from tests.support.platform_repo import PlatformRepo, write_env_template, write_teams

UNITS = ["environment/test", "service/web/test"]
WRITES = {"CreateStack", "UpdateStack", "DeleteStack", "ExecuteChangeSet"}


def _environment(repo: PlatformRepo, account: str, *, cidr: str, stack: str | None) -> None:
    named = f"\n  stackName: {stack}" if stack else ""
    repo.write(
        "environments/test.yaml",
        f"""apiVersion: goldenpath.dev/v1
kind: Environment
metadata: {{name: test}}
spec:
  template: {{name: env, version: "1"}}
  account: {{id: "{account}", region: us-west-2,
             roleArn: "arn:aws:iam::{account}:role/goldenpath-deployer"}}
  inputs: {{vpc_cidr: {cidr}}}{named}
""",
    )


def _service(repo: PlatformRepo, *, size: int, stack: str | None) -> None:
    named = f"\n      stackName: {stack}" if stack else ""
    repo.write(
        "services/web.yaml",
        f"""apiVersion: goldenpath.dev/v1
kind: Service
metadata: {{name: web, team: storefront}}
spec:
  template: {{name: svc, version: "1"}}
  instances:
    - name: test
      environment: test
      inputs: {{size: {size}}}{named}
""",
    )


def proton_platform(root: Path, accounts: Accounts) -> PlatformRepo:
    """The platform as Proton ran it: one environment, web's test instance."""
    repo = PlatformRepo(root)
    write_env_template(repo)
    write_engine_svc_template(repo)
    write_platform(repo, accounts)
    write_teams(repo)
    _environment(repo, accounts.test, cidr="10.7.0.0/16", stack=None)
    _service(repo, size=2, stack=None)
    repo.commit("The platform as Proton ran it")
    return repo


@pytest.fixture
def adopted(harness: Callable[[Build], Harness]) -> tuple[Harness, dict[str, tuple[str, str]]]:
    """Proton's stacks in place, and a commit that names them (and changes nothing else)."""
    h = harness(proton_platform)
    stacks = deploy_like_proton(h.aws, h.snapshot(), UNITS)
    name_stacks(h, stacks)
    return h, stacks


def name_stacks(
    h: Harness, stacks: dict[str, tuple[str, str]], *, cidr: str = "10.7.0.0/16", size: int = 2
) -> None:
    _environment(h.repo, h.accounts.test, cidr=cidr, stack=stacks["environment/test"][0])
    _service(h.repo, size=size, stack=stacks["service/web/test"][0])
    h.repo.commit("Name Proton's stacks")


def calls(h: Harness) -> dict[str, int]:
    answer = httpx.get(f"{h.aws.url}/_goldenpath/calls")
    answer.raise_for_status()
    return dict(answer.json()["calls"])


def reset_calls(h: Harness) -> None:
    httpx.delete(f"{h.aws.url}/_goldenpath/calls").raise_for_status()


def tags_of(h: Harness, stack: str) -> dict[str, str]:
    described = h.aws.stacks(h.accounts.test)[stack]
    return {t["Key"]: t["Value"] for t in described.get("Tags", [])}


def actions(planned: Any) -> dict[str, tuple[str, str]]:
    return {u.unit_id: (u.action, u.reason) for u in planned.plan.units}


def test_matching_stacks_plan_as_adopt_with_no_changes(adopted: Any) -> None:
    h, _stacks = adopted

    planned = h.plan(preview=True)

    assert actions(planned) == {
        "environment/test": ("adopt", "adopt, no changes"),
        "service/web/test": ("adopt", "adopt, no changes"),
    }
    assert planned.plan.has_changes


def test_a_plan_without_the_cloud_adopts_unseen(adopted: Any) -> None:
    h, stacks = adopted

    planned = h.plan()

    action, reason = actions(planned)["environment/test"]
    assert action == "adopt"
    assert stacks["environment/test"][0] in reason
    assert "known once the live stack is read" in reason


def test_adopting_matching_stacks_records_them_and_sends_nothing(adopted: Any) -> None:
    h, stacks = adopted
    reset_calls(h)

    applied = h.apply()

    assert applied.report.ok
    assert {u: o.reason for u, o in applied.report.outcomes.items()} == {
        "environment/test": "Adopted",
        "service/web/test": "Adopted",
    }
    assert not WRITES & set(calls(h)), calls(h)
    for unit_id, (name, stack_id) in stacks.items():
        record = h.store.unit(unit_id)
        assert record is not None
        assert (record.stack_name, record.stack_id) == (name, stack_id)
        assert record.fingerprint
        assert record.version == "1.0"
        assert h.aws.stacks(h.accounts.test)[name]["StackId"] == stack_id
    env = h.store.unit("environment/test")
    assert env is not None and env.outputs["VpcId"].startswith("vpc-")
    history = h.store.history("service/web/test")
    assert [d.status for d in history] == ["SUCCEEDED"]
    assert "adopted" in history[0].message
    # Adopted with no changes: the stack keeps Proton's tags alone until a real update.
    assert set(tags_of(h, stacks["environment/test"][0])) == {
        "proton:environment",
        "proton:template",
        "proton:account",
    }
    assert {u.action for u in h.plan().plan.units} == {"noop"}


def test_an_in_place_difference_is_adopted_with_an_update_that_keeps_protons_tags(
    harness: Callable[[Build], Harness],
) -> None:
    h = harness(proton_platform)
    stacks = deploy_like_proton(h.aws, h.snapshot(), UNITS)
    name_stacks(h, stacks, size=5)  # Proton ran web with DelaySeconds 2

    planned = h.plan(preview=True)

    action, reason = actions(planned)["service/web/test"]
    assert action == "adopt"
    assert reason.startswith("adopt, then update in place")
    web = planned.plan.of("service/web/test")
    assert web is not None
    assert [(c.logical_id, c.action, c.replacement) for c in web.changes] == [
        ("Queue", "Modify", "False")
    ]
    reset_calls(h)
    applied = h.apply()
    assert applied.report.ok, applied.report.outcomes
    assert calls(h).get("UpdateStack") == 1
    assert "CreateStack" not in calls(h)
    name, stack_id = stacks["service/web/test"]
    live = h.aws.stacks(h.accounts.test)[name]
    assert live["StackId"] == stack_id
    tags = tags_of(h, name)
    assert tags["proton:service-instance"].endswith("service/web/service-instance/test")
    assert tags["goldenpath:unit"] == "service/web/test"
    assert not [k for k in tags if k.startswith("aws:")]
    assert "DelaySeconds: 5" in h.aws.template(h.accounts.test, name)


def test_a_replacement_blocks_adoption_and_names_the_resource(
    harness: Callable[[Build], Harness],
) -> None:
    h = harness(proton_platform)
    stacks = deploy_like_proton(h.aws, h.snapshot(), UNITS)
    name_stacks(h, stacks, cidr="10.9.0.0/16")  # a VPC's CIDR cannot change in place

    planned = h.plan(preview=True)

    action, reason = actions(planned)["environment/test"]
    assert action == "blocked"
    assert "VPC (AWS::EC2::VPC, replaced)" in reason
    reset_calls(h)
    applied = h.apply()
    assert not applied.report.ok
    assert applied.report.outcomes["environment/test"].reason == "AdoptionWouldReplace"
    assert applied.report.outcomes["service/web/test"].kind == "blocked"
    assert not WRITES & set(calls(h)), calls(h)
    name, stack_id = stacks["environment/test"]
    assert h.aws.stacks(h.accounts.test)[name]["StackId"] == stack_id
    assert "10.7.0.0/16" in h.aws.template(h.accounts.test, name)


def test_a_stack_that_does_not_exist_is_never_created(adopted: Any) -> None:
    h, _stacks = adopted
    typo = "AWSProton-test-cloudformation-TYPOTYPOTYPOX"
    _environment(h.repo, h.accounts.test, cidr="10.7.0.0/16", stack=typo)
    h.repo.commit("A typo in the environment's stackName")

    planned = h.plan(preview=True)

    action, reason = actions(planned)["environment/test"]
    assert action == "blocked"
    assert f"stack {typo} not found in {h.accounts.test}/us-west-2" in reason
    reset_calls(h)
    applied = h.apply()
    assert not applied.report.ok
    assert applied.report.outcomes["environment/test"].reason == "StackNotFound"
    assert not WRITES & set(calls(h)), calls(h)
    assert typo not in h.aws.stacks(h.accounts.test)
    assert typo not in h.aws.stack_names_ever(h.accounts.test)


def test_changing_the_stack_name_of_an_adopted_unit_is_refused(adopted: Any) -> None:
    h, stacks = adopted
    assert h.apply().report.ok
    _environment(h.repo, h.accounts.test, cidr="10.7.0.0/16", stack="AWSProton-other-X")
    h.repo.commit("Point the environment at another stack")

    planned = h.plan()

    action, reason = actions(planned)["environment/test"]
    assert action == "blocked"
    old = stacks["environment/test"][0]
    assert f"put back stackName {old}" in reason
    assert "orphan" in reason
    reset_calls(h)
    applied = h.apply()
    assert not WRITES & set(calls(h)), (calls(h), applied.report.outcomes)


def test_a_lost_state_database_adopts_again_and_creates_nothing(adopted: Any) -> None:
    h, stacks = adopted
    name_stacks(h, stacks, size=3)  # an update, so Goldenpath's tags are on the stack
    assert h.apply().report.ok
    h.store.close()
    state = Path(str(h.store.url).removeprefix("sqlite:///"))
    state.unlink()
    from reconciler.state import StateStore

    h.store = StateStore.open(f"sqlite:///{state}")
    reset_calls(h)

    applied = h.apply()

    assert applied.report.ok, applied.report.outcomes
    assert {o.reason for o in applied.report.outcomes.values()} == {"Adopted"}
    assert not WRITES & set(calls(h)), calls(h)
    for unit_id, (_name, stack_id) in stacks.items():
        record = h.store.unit(unit_id)
        assert record is not None and record.stack_id == stack_id


def test_a_stack_whose_rollback_failed_is_blocked_with_what_to_do(
    harness: Callable[[Build], Harness],
) -> None:
    h = harness(proton_platform)
    stacks = deploy_like_proton(h.aws, h.snapshot(), UNITS)
    name, stack_id = stacks["environment/test"]
    h.aws.add_fault({"kind": "fail", "operation": "update", "stackName": name, "rollback": "fail"})
    cfn = h.aws.client("cloudformation", h.accounts.test)
    body = h.aws.template(h.accounts.test, name)
    cfn.update_stack(StackName=name, TemplateBody=body.replace("Environment", "Env"))
    assert h.aws.stacks(h.accounts.test)[name]["StackStatus"] == "UPDATE_ROLLBACK_FAILED"
    name_stacks(h, stacks)

    planned = h.plan(preview=True)

    action, reason = actions(planned)["environment/test"]
    assert action == "blocked"
    assert f"stack {name} is UPDATE_ROLLBACK_FAILED" in reason
    assert f"continue-update-rollback --stack-name {name}" in reason
    reset_calls(h)
    applied = h.apply()
    assert not applied.report.ok
    assert applied.report.outcomes["environment/test"].reason == "StackNotUpdatable"
    assert not WRITES & set(calls(h)), calls(h)
    record = h.store.unit("environment/test")
    assert record is not None and record.stack_id is None
    assert h.aws.stacks(h.accounts.test)[name]["StackId"] == stack_id


def test_a_data_stack_is_adopted_with_its_data_kept_and_nothing_replaced(
    harness: Callable[[Build], Harness],
) -> None:
    from tests.engine.platforms import data_platform

    h = harness(data_platform)
    stacks = deploy_like_proton(h.aws, h.snapshot(), ["environment/test", "service/orders-db/test"])
    env_stack, db_stack = stacks["environment/test"][0], stacks["service/orders-db/test"][0]
    text = (h.repo.root / "environments/test.yaml").read_text()
    h.repo.write("environments/test.yaml", text.rstrip("\n") + f"\n  stackName: {env_stack}\n")
    text = (h.repo.root / "services/orders-db.yaml").read_text()
    h.repo.write("services/orders-db.yaml", text.rstrip("\n") + f"\n      stackName: {db_stack}\n")
    h.repo.commit("Name Proton's stacks")
    before = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in h.aws.client("cloudformation", h.accounts.test).describe_stack_resources(
            StackName=db_stack
        )["StackResources"]
    }

    planned = h.plan(preview=True)

    action, reason = actions(planned)["service/orders-db/test"]
    # Goldenpath keeps data resources (DeletionPolicy Retain): the first update adds that.
    assert (action, reason.split(":")[0]) == ("adopt", "adopt, then update in place"), reason
    db = planned.plan.of("service/orders-db/test")
    assert db is not None and all(c.replacement != "True" for c in db.changes)
    applied = h.apply()
    assert applied.report.ok, applied.report.outcomes
    after = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in h.aws.client("cloudformation", h.accounts.test).describe_stack_resources(
            StackName=db_stack
        )["StackResources"]
    }
    assert after == before
    assert '"DeletionPolicy": "Retain"' in h.aws.template(h.accounts.test, db_stack)
