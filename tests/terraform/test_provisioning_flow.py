"""Must show (issue 13): the corpus's environment and service instance, end to end,
against a real git provisioning repository (a bare repository on disk) and the fake
GitHub, with the notifications sent over real HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.engine.cli import goldenpath
from tests.support.state_dump import dump
from tests.support.terraform_repo import (
    ENV,
    ENV_OUTPUTS,
    INSTANCE,
    SAMPLES,
    SERVICE,
    WRITTEN,
)
from tests.terraform.world import (
    BRANCH,
    ProvisioningWorld,
)

ENV_ID = f"environment/{ENV}"
SVC_ID = f"service/{SERVICE}/{INSTANCE}"
SVC_FOLDER = f"{ENV}/{SERVICE}-{INSTANCE}"
METADATA = ".proton/deployment-metadata.json"


@pytest.fixture
def world(corpus_world: ProvisioningWorld) -> ProvisioningWorld:
    return corpus_world


def _outputs(values: dict[str, str]) -> list[dict[str, str]]:
    return [{"key": k, "valueString": v} for k, v in values.items()]


def _same_shape(written: bytes, corpus: bytes, path: str) -> None:
    """JSON files: the same keys at every level (values name other resources)."""
    ours, theirs = json.loads(written), json.loads(corpus)

    def keys(value: object) -> object:
        if isinstance(value, dict):
            return {k: keys(v) for k, v in value.items()}
        return type(value).__name__

    assert keys(ours) == keys(theirs), path


def _after_header(data: bytes) -> bytes:
    return data.split(b"*/\n", 1)[1]


def _matches_corpus(world: ProvisioningWorld, folder: str, corpus: Path) -> None:
    written = world.files(BRANCH, folder)
    expected = {
        p.relative_to(corpus).as_posix()
        for p in corpus.rglob("*")
        if p.is_file()
        and p.parent.name != f"{SERVICE}-{INSTANCE}"
        and f"{SERVICE}-{INSTANCE}/" not in p.relative_to(corpus).as_posix()
    }
    assert {p for p in written if "/" not in p or p.startswith(".proton/")} == expected
    for path in expected:
        ours, theirs = world.show(BRANCH, f"{folder}/{path}"), (corpus / path).read_bytes()
        if path.endswith(".json"):
            _same_shape(ours, theirs, path)
        else:
            # The managed-file comment names Goldenpath and the unit's URN where Proton's
            # named itself and the ARN; what follows it is the same, byte for byte.
            assert ours.startswith(b"/*\nThis file is managed by ")
            assert _after_header(ours) == _after_header(theirs), f"{path} differs from Proton's"


def test_environment_then_instance_through_pull_requests_and_notifications(
    world: ProvisioningWorld,
) -> None:
    # 1. The environment is written and its pull request opened; the instance waits for
    #    the environment's outputs.
    first = world.apply()
    assert first.report.outcomes[ENV_ID].kind == "in_progress"
    assert first.report.outcomes[SVC_ID].kind == "blocked"
    _matches_corpus(world, ENV, WRITTEN)
    [pull] = world.open_pulls()
    assert (pull.head, pull.base) == (BRANCH, "main")
    revision = world.platform.git("rev-parse", "HEAD")
    assert pull.body.startswith("<!-- goldenpath:provisioning -->")  # not an update PR
    assert f"https://github.com/acme/platform/commit/{revision}" in pull.body
    metadata = json.loads(world.show(BRANCH, f"{ENV}/{METADATA}"))
    deployment = metadata["deploymentId"]
    assert metadata["isResourceDeleted"] is False
    assert deployment in pull.body
    assert world.store.history(ENV_ID)[0].status == "IN_PROGRESS"

    # Nothing changed: applying again pushes nothing and opens nothing.
    pushed = world.branch_head()
    world.apply()
    assert world.branch_head() == pushed
    assert len(world.github.pull_requests) == 1
    assert world.github.pull_requests[pull.number].edits <= 1

    # 2. Merged; the workflow applies and notifies with the outputs.
    world.merge(pull.number)
    answer = world.post(deployment, {"status": "SUCCEEDED", "outputs": _outputs(ENV_OUTPUTS)})
    assert answer.status_code == 200, answer.text
    env = world.store.unit(ENV_ID)
    assert env is not None and dict(env.outputs) == ENV_OUTPUTS
    ready = env.condition("Ready")
    assert ready is not None and ready.status
    assert world.store.history(ENV_ID)[0].status == "SUCCEEDED"
    assert [n.unit_id for n in world.notified] == [ENV_ID]

    # 3. The instance renders with those outputs and gets its own pull request.
    second = world.apply()
    assert second.report.outcomes[ENV_ID].kind == "unchanged"
    assert second.report.outcomes[SVC_ID].kind == "in_progress"
    [svc_pull] = world.open_pulls()
    assert svc_pull.number != pull.number
    corpus_svc = WRITTEN / f"{SERVICE}-{INSTANCE}"
    assert world.files(BRANCH, SVC_FOLDER) == {
        p.relative_to(corpus_svc).as_posix() for p in corpus_svc.rglob("*") if p.is_file()
    }
    for name in ("config.tf", "outputs.tf", "proton.service_instance.variables.tf"):
        ours = world.show(BRANCH, f"{SVC_FOLDER}/{name}")
        assert _after_header(ours) == _after_header((corpus_svc / name).read_bytes()), name
    # Proton's lambda.tf came from an older revision of the sample bundle (its role policy
    # differs); ours is the bundle's file as it is, after the header.
    bundle = SAMPLES / "lambda-vpc/sample-lambda-function-template/v1/instance_infrastructure"
    lambda_tf = world.show(BRANCH, f"{SVC_FOLDER}/lambda.tf")
    assert _after_header(lambda_tf) == b"\n" + (bundle / "lambda.tf").read_bytes()
    tfvars = json.loads(world.show(BRANCH, f"{SVC_FOLDER}/proton.auto.tfvars.json"))
    corpus_tfvars = json.loads((corpus_svc / "proton.auto.tfvars.json").read_bytes())
    # The outputs the environment's workflow notified are the instance's inputs.
    assert tfvars["environment"]["outputs"] == corpus_tfvars["environment"]["outputs"]
    assert tfvars["service_instance"] == corpus_tfvars["service_instance"]
    _same_shape(
        world.show(BRANCH, f"{SVC_FOLDER}/{METADATA}"),
        (corpus_svc / METADATA).read_bytes(),
        METADATA,
    )
    # The environment's folder is not touched by the instance's change set.
    assert world.show(BRANCH, f"{ENV}/{METADATA}") == world.show("main", f"{ENV}/{METADATA}")

    # 4. The instance's run fails: the page and `status` show it, and the platform's
    #    notification target is told (deploy.failed, queued in the outbox).
    settings = (world.platform.root / "goldenpath.yaml").read_text()
    target = (
        "  notifications: [{name: ops, format: slack, urlFrom: OPS_URL, events: [deploy.failed]}]\n"
    )
    world.platform.write("goldenpath.yaml", settings + target)
    world.platform.commit("tell ops of failures")
    world.merge(svc_pull.number)
    svc_deployment = json.loads(world.show("main", f"{SVC_FOLDER}/{METADATA}"))["deploymentId"]
    failure = {"status": "FAILED", "statusMessage": "Error: creating Lambda"}
    failed = world.post(svc_deployment, failure)
    assert failed.status_code == 200, failed.text
    page = httpx.get(f"{world.url}/units/{SVC_ID}", timeout=10)
    assert page.status_code == 200 and "Error: creating Lambda" in page.text
    [told] = dump(world.store)["notifications"]
    assert "deploy.failed" in told and SVC_ID in str(told)
    ran = goldenpath("status", "--state", world.state_url, "--output", "json")
    assert ran.code == 0, ran.stderr
    units = {u["id"]: u for u in json.loads(ran.stdout)["units"]}
    stalled = [c for c in units[SVC_ID]["conditions"] if c["type"] == "Stalled"]
    assert stalled and stalled[0]["status"] and "Error: creating Lambda" in stalled[0]["message"]
