"""One process at a time writes the provisioning repository: a second replica's change set
waits for the next reconcile instead of force-pushing the branch over the first's."""

from __future__ import annotations

from reconciler.provisioning.step import WRITE_LEASE
from tests.support.terraform_repo import ENV
from tests.terraform.world import BRANCH, ProvisioningWorld

ENV_ID = f"environment/{ENV}"
OTHER = "other-host:4242:replica2"


def test_a_change_set_waits_while_another_process_writes_the_repository(
    corpus_world: ProvisioningWorld,
) -> None:
    world = corpus_world
    assert world.store.acquire_lease(WRITE_LEASE, OTHER, 600.0)

    busy = world.apply()

    outcome = busy.report.outcomes[ENV_ID]
    assert (outcome.kind, outcome.reason) == ("retrying", "ProvisioningBusy")
    assert OTHER in outcome.message
    assert BRANCH not in world.branches() and world.open_pulls() == []

    assert world.store.release_lease(WRITE_LEASE, OTHER)
    written = world.apply()

    assert written.report.outcomes[ENV_ID].kind == "in_progress"
    assert BRANCH in world.branches() and len(world.open_pulls()) == 1
    assert world.store.lease(WRITE_LEASE) is None  # given back once written
