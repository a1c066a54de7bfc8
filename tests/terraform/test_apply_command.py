"""``goldenpath apply`` writes Terraform units to the provisioning repository too; with
no forge configured it pushes the branch and says the pull request is to be opened."""

from __future__ import annotations

import json

from emulator.server import EmbeddedEmulator
from tests.engine.cli import goldenpath, on_emulator
from tests.support.terraform_repo import ENV
from tests.terraform.world import BRANCH, ProvisioningWorld


def test_apply_pushes_the_change_set_without_a_forge(
    corpus_world: ProvisioningWorld, embedded: EmbeddedEmulator
) -> None:
    world = corpus_world
    root = str(world.platform.root)

    ran = goldenpath(
        "apply", root, "--yes", "--output", "json", *on_emulator(embedded.url, world.state_url),
        cwd=world.cache.parent,
    )  # fmt: skip

    assert ran.code == 0, ran.stdout + ran.stderr
    report = json.loads(ran.stdout[: ran.stdout.index("\n}\n") + 2])
    outcomes = {u["id"]: (u["outcome"], u["reason"]) for u in report["units"]}
    assert outcomes[f"environment/{ENV}"] == ("in_progress", "AwaitingNotification")
    assert "provisioning.no_forge" in ran.stdout + ran.stderr
    assert BRANCH in world.branches()
    metadata = json.loads(world.show(BRANCH, f"{ENV}/.proton/deployment-metadata.json"))
    deployment = world.store.provisioning_deployment(metadata["deploymentId"])
    assert deployment is not None and deployment.waiting and deployment.change_request == ""
    assert world.github.pull_requests == {}
