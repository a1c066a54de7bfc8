"""The reconcile loop with Terraform units: a notification makes it reconcile at once
(the instance gets its pull request without a new commit), and the commit's
``goldenpath/apply`` status says what waits for Terraform, then what landed."""

from __future__ import annotations

import json
import threading
import time

from reconciler.checks.runner import ChangeChecks
from reconciler.events import EventQueue
from reconciler.loop import LoopSettings, ReconcileLoop
from reconciler.render import Renderer
from reconciler.source.tracked import TrackedRepo
from tests.fakes.github import FakeGitHub
from tests.support.terraform_repo import ENV, ENV_OUTPUTS, INSTANCE, SERVICE
from tests.terraform.world import ProvisioningWorld

PLATFORM_TOKEN = "ghp_platformToken0123456789"
METADATA = ".proton/deployment-metadata.json"
PATIENCE_S = 60.0


def _wait(condition: object, what: str) -> None:
    deadline = time.monotonic() + PATIENCE_S
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_notification_reconciles_at_once_and_the_apply_status_follows(
    corpus_world: ProvisioningWorld,
) -> None:
    world = corpus_world
    head = world.platform.git("rev-parse", "HEAD")
    with FakeGitHub(PLATFORM_TOKEN, "acme/platform") as platform_forge:
        import httpx

        from reconciler.forges.github import GitHubToken, github_forge
        from tests.fakes.clock import FakeClock
        from tests.terraform.world import POLICY

        forge = github_forge(
            "acme/platform",
            GitHubToken(PLATFORM_TOKEN, "goldenpath-tests"),
            http=httpx.Client(timeout=10),
            clock=FakeClock(),
            policy=POLICY,
            url=platform_forge.url,
        )
        tracked = TrackedRepo.open(str(world.platform.root), "main", world.cache / "repos")
        engine = world.engine()
        queue = EventQueue(100)
        checks = ChangeChecks(
            tracked, world.store, forge, renderer=Renderer(), linter=None, public_url="http://gp"
        )
        loop = ReconcileLoop(
            tracked, world.store, engine, checks, forge, queue, LoopSettings(interval=3600.0)
        )
        world.listeners.append(queue.put)
        stop = threading.Event()
        worker = threading.Thread(target=loop.run, args=(stop,), daemon=True)
        worker.start()
        try:

            def status() -> tuple[str, str] | None:
                found = [
                    s for s in platform_forge.statuses_for(head) if s.context == "goldenpath/apply"
                ]
                return (found[-1].state, found[-1].description or "") if found else None

            _wait(lambda: world.open_pulls(), "the environment's pull request")
            _wait(lambda: status() is not None and "waiting" in status()[1], "a pending status")  # type: ignore[index]
            assert status() == ("pending", "0 units applied, 0 up to date, 1 waiting for Terraform")

            [pull] = world.open_pulls()
            world.merge(pull.number)
            deployment = json.loads(world.show("main", f"{ENV}/{METADATA}"))["deploymentId"]
            outputs = [{"key": k, "valueString": v} for k, v in ENV_OUTPUTS.items()]
            assert (
                world.post(deployment, {"status": "SUCCEEDED", "outputs": outputs}).status_code
                == 200
            )

            # No new commit: the notification alone brings the instance's pull request.
            _wait(lambda: len(world.github.pull_requests) == 2, "the instance's pull request")
            [svc_pull] = world.open_pulls()
            assert f"service/{SERVICE}/{INSTANCE}" in svc_pull.body
            _wait(
                lambda: (
                    status()
                    == ("pending", "0 units applied, 1 up to date, 1 waiting for Terraform")
                ),
                "the status after the environment",
            )

            world.merge(svc_pull.number)
            folder = f"{ENV}/{SERVICE}-{INSTANCE}"
            svc_deployment = json.loads(world.show("main", f"{folder}/{METADATA}"))["deploymentId"]
            assert world.post(svc_deployment, {"status": "SUCCEEDED"}).status_code == 200
            _wait(lambda: status() is not None and status()[0] == "success", "success")  # type: ignore[index]
            assert status() == ("success", "0 units applied, 2 up to date")
        finally:
            stop.set()
            worker.join(timeout=30)
