"""Must show (issue 13): a template bump with automatic updates opens one provisioning
pull request per wave, and the next wave goes once the last one's notifications came."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.server import EmbeddedEmulator
from tests.engine.conftest import emulator_cloud
from tests.support.platform_repo import PlatformRepo, write_teams
from tests.support.terraform_repo import (
    ACCOUNT,
    ENV_TEMPLATE,
    PROVISIONING,
    REGION,
    write_tf_templates,
)
from tests.terraform.world import BRANCH, ProvisioningWorld, provisioning_world, terraform_settings

WAVES = ("test", "staging", "production")
METADATA = ".proton/deployment-metadata.json"


def _environment(repo: PlatformRepo, name: str) -> None:
    repo.write(
        f"environments/{name}.yaml",
        f"""
        apiVersion: goldenpath.dev/v1
        kind: Environment
        metadata: {{name: {name}}}
        spec:
          template: {{name: {ENV_TEMPLATE}, version: "1"}}
          updates: {{minor: automatic}}
          account: {{id: "{ACCOUNT}", region: {REGION},
                     roleArn: "arn:aws:iam::{ACCOUNT}:role/goldenpath-deployer"}}
          inputs: {{vpc_name: {name}-vpc}}
        """,
    )


@pytest.fixture
def world(tmp_path: Path, embedded: EmbeddedEmulator) -> Iterator[ProvisioningWorld]:
    platform = PlatformRepo(tmp_path / "platform")
    write_teams(platform)
    write_tf_templates(platform)
    for name in WAVES:
        _environment(platform, name)
    platform.commit("three Terraform environments")
    with provisioning_world(tmp_path, platform, emulator_cloud(embedded.url), PROVISIONING) as w:
        order = "\n      rollout: {order: [test, staging, production]}\n"
        platform.write("goldenpath.yaml", terraform_settings(w.bare).rstrip() + order)
        platform.commit("the provisioning repository and the rollout order")
        yield w


def _deploy(world: ProvisioningWorld, envs: tuple[str, ...]) -> int:
    """Merge the open PR and notify success for ``envs``; the PR's number."""
    [pull] = world.open_pulls()
    world.merge(pull.number)
    for env in envs:
        deployment = json.loads(world.show("main", f"{env}/{METADATA}"))["deploymentId"]
        outputs = [{"key": "vpc_id", "valueString": f"vpc-{env}"}]
        answer = world.post(deployment, {"status": "SUCCEEDED", "outputs": outputs})
        assert answer.status_code == 200, answer.text
    return pull.number


def test_a_minor_bump_opens_one_pull_request_per_wave(world: ProvisioningWorld) -> None:
    world.apply()
    first = _deploy(world, WAVES)  # the first deployment writes all three at once
    assert world.github.pull_requests[first].body.count("environment/") == 3
    assert all(world.store.unit(f"environment/{e}").version == "1.0" for e in WAVES)  # type: ignore[union-attr]

    outputs_tf = f"templates/{ENV_TEMPLATE}/v1/infrastructure/outputs.tf"
    world.platform.write(
        outputs_tf,
        (world.platform.root / outputs_tf).read_text()
        + '\noutput "bumped" {\n  value = "1.1"\n}\n',
    )
    world.platform.commit("sample-vpc-environment-template 1.1")

    numbers = []
    for index, wave in enumerate(WAVES):
        applied = world.apply()
        [pull] = world.open_pulls()
        changed = {line.split("`")[1] for line in pull.body.splitlines() if line.startswith("| `")}
        assert changed == {f"environment/{wave}"}, f"wave {index + 1}: {pull.body}"
        assert applied.report.outcomes[f"environment/{wave}"].kind == "in_progress"
        later = [e for e in WAVES[index + 1 :]]
        assert all(applied.report.outcomes[f"environment/{e}"].kind != "in_progress" for e in later)
        assert b"bumped" in world.show(BRANCH, f"{wave}/outputs.tf")
        numbers.append(_deploy(world, (wave,)))
        assert world.store.unit(f"environment/{wave}").version == "1.1"  # type: ignore[union-attr]

    assert len(set(numbers)) == len(WAVES)
    world.apply()
    assert world.open_pulls() == []  # all landed: nothing more to write
    [rollout] = world.store.rollouts()
    assert rollout.status == "complete"
