"""Deleting a Terraform unit writes Proton's deletion marker; notifications that are
wrong are refused over HTTP with a clear 4xx and change nothing; ``goldenpath notify``
takes ``terraform output -json`` as it is."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support.state_dump import dump
from tests.support.terraform_repo import ENV, ENV_OUTPUTS, INSTANCE, SERVICE
from tests.terraform.world import BRANCH, ProvisioningWorld

ENV_ID = f"environment/{ENV}"
SVC_ID = f"service/{SERVICE}/{INSTANCE}"
SVC_FOLDER = f"{ENV}/{SERVICE}-{INSTANCE}"
METADATA = ".proton/deployment-metadata.json"


def _deployment(world: ProvisioningWorld, ref: str, folder: str) -> str:
    return str(json.loads(world.show(ref, f"{folder}/{METADATA}"))["deploymentId"])


def _environment_deployed(world: ProvisioningWorld) -> str:
    world.apply()
    [pull] = world.open_pulls()
    world.merge(pull.number)
    deployment = _deployment(world, "main", ENV)
    outputs = [{"key": k, "valueString": v} for k, v in ENV_OUTPUTS.items()]
    assert world.post(deployment, {"status": "SUCCEEDED", "outputs": outputs}).status_code == 200
    return deployment


def test_a_removed_instance_gets_the_deletion_marker_and_keeps_its_files(
    corpus_world: ProvisioningWorld,
) -> None:
    world = corpus_world
    _environment_deployed(world)
    world.apply()
    [pull] = world.open_pulls()
    world.merge(pull.number)
    created = _deployment(world, "main", SVC_FOLDER)
    assert world.post(created, {"status": "SUCCEEDED"}).status_code == 200
    settings = (world.platform.root / "goldenpath.yaml").read_text()
    world.platform.write("goldenpath.yaml", settings + "  prune: {service: true}\n")
    world.platform.remove(f"services/{SERVICE}.yaml")
    world.platform.commit("retire the service")

    applied = world.apply()

    assert applied.report.outcomes[SVC_ID].kind == "in_progress"
    [pull] = world.open_pulls()
    assert "destroy 1 unit" in pull.title
    marker = json.loads(world.show(BRANCH, f"{SVC_FOLDER}/{METADATA}"))
    assert marker["isResourceDeleted"] is True and marker["deploymentId"] != created
    assert world.files(BRANCH, SVC_FOLDER) == world.files("main", SVC_FOLDER)  # .tf kept
    assert world.show(BRANCH, f"{ENV}/{METADATA}") == world.show("main", f"{ENV}/{METADATA}")
    assert world.store.history(SVC_ID)[0].status == "DELETE_IN_PROGRESS"

    world.merge(pull.number)
    assert world.post(marker["deploymentId"], {"status": "SUCCEEDED"}).status_code == 200
    assert world.store.unit(SVC_ID) is None
    assert world.store.history(SVC_ID)[0].status == "DELETE_COMPLETE"


def test_wrong_notifications_get_a_clear_4xx_and_change_nothing(
    corpus_world: ProvisioningWorld,
) -> None:
    world = corpus_world
    world.apply()
    stale = _deployment(world, BRANCH, ENV)
    # A new commit changes the environment before its PR merged: a newer deployment.
    spec = world.platform.root / f"environments/{ENV}.yaml"
    world.platform.write(f"environments/{ENV}.yaml", spec.read_text().replace("my_tf_vpc", "v2"))
    world.platform.commit("another VPC name")
    world.apply()
    current = _deployment(world, BRANCH, ENV)
    assert current != stale
    good = {"status": "SUCCEEDED", "outputs": [{"key": "vpc_id", "valueString": "vpc-1"}]}
    before = dump(world.store)

    wrong_token = world.post(current, good, token="gp_0123456789ab_" + "x" * 43)
    unknown = world.post("00000000-0000-0000-0000-000000000000", good)
    superseded = world.post(stale, good)
    malformed = world.post(current, {"status": "SUCCEEDED", "outputs": {"vpc_id": "vpc-1"}})
    not_strings = world.post(
        current, {"status": "SUCCEEDED", "outputs": [{"key": "ids", "valueString": ["a"]}]}
    )

    assert (wrong_token.status_code, wrong_token.json()["error"]) == (401, "unauthenticated")
    assert (unknown.status_code, unknown.json()["error"]) == (404, "deployment_not_found")
    assert superseded.status_code == 409
    assert f"notify deployment {current} instead" in superseded.json()["message"]
    assert (
        malformed.status_code == 400 and "outputs: expected a list" in malformed.json()["message"]
    )
    assert not_strings.status_code == 400
    assert "outputs[0].valueString (ids)" in not_strings.json()["message"]
    assert dump(world.store) == before
    assert world.notified == []


def test_goldenpath_notify_sends_terraform_output_json(
    corpus_world: ProvisioningWorld, tmp_path: Path
) -> None:
    world = corpus_world
    world.apply()
    [pull] = world.open_pulls()
    world.merge(pull.number)
    deployment = _deployment(world, "main", ENV)
    outputs = tmp_path / "outputs.json"
    outputs.write_text(
        json.dumps(
            {
                "subnet_id": {"sensitive": False, "type": "string", "value": "subnet-1"},
                "azs": {"sensitive": False, "type": ["list", "string"], "value": ["a", "b"]},
            }
        )
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith("GOLDENPATH_")}
    environment["GOLDENPATH_TOKEN"] = world.admin
    command = [sys.executable, "-m", "goldenpath.cli", "notify", "--url", world.url]
    command += ["--deployment-id", deployment, "--status", "SUCCEEDED"]
    command += ["--outputs-file", str(outputs), "--message", "applied by proton-run"]

    done = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=120)

    assert done.returncode == 0, done.stdout + done.stderr
    record = world.store.unit(ENV_ID)
    assert record is not None and dict(record.outputs) == {
        "subnet_id": "subnet-1",
        "azs": '["a","b"]',
    }
    again = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=120)
    assert again.returncode == 1 and "409: deployment" in again.stdout
    assert world.admin not in done.stdout + done.stderr + again.stdout + again.stderr
