"""The provisioning repository on GitLab: the change set becomes one merge request, kept
up to date rather than opened twice, through the same forge client as GitHub's."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from reconciler.forges import ForgeClient
from reconciler.forges.gitlab import GitLabToken, gitlab_forge
from tests.fakes.clock import FakeClock
from tests.fakes.gitlab import FakeGitLab
from tests.support.terraform_repo import ENV
from tests.terraform.world import BRANCH, POLICY, PROVISIONING_REPO, ProvisioningWorld

TOKEN = "glpat-provisioning0123456789"
ENV_ID = f"environment/{ENV}"


@pytest.fixture
def gitlab(corpus_world: ProvisioningWorld) -> Iterator[tuple[ProvisioningWorld, FakeGitLab]]:
    fake = FakeGitLab(TOKEN, 42, PROVISIONING_REPO)
    with fake:
        fake.branch_exists = lambda branch: branch in corpus_world.branches()

        def forge() -> ForgeClient:
            return gitlab_forge(
                PROVISIONING_REPO,
                GitLabToken(TOKEN, "goldenpath-tests"),
                http=httpx.Client(timeout=10),
                clock=FakeClock(),
                policy=POLICY,
                url=fake.url,
            )

        corpus_world.forge = forge  # type: ignore[method-assign]
        yield corpus_world, fake


def test_the_change_set_is_one_merge_request_updated_not_duplicated(
    gitlab: tuple[ProvisioningWorld, FakeGitLab],
) -> None:
    world, fake = gitlab

    first = world.apply()

    assert first.report.outcomes[ENV_ID].kind == "in_progress"
    [opened] = fake.open_merge_requests_from(BRANCH)
    assert (opened.source_branch, opened.target_branch) == (BRANCH, "main")
    assert opened.description.startswith("<!-- goldenpath:provisioning -->")
    deployment = json.loads(world.show(BRANCH, f"{ENV}/.proton/deployment-metadata.json"))
    assert deployment["deploymentId"] in opened.description
    assert world.github.pull_requests == {}  # nothing went to GitHub

    world.apply()  # nothing changed: no second merge request

    assert fake.open_merge_requests_from(BRANCH) == [opened]
    assert len(fake.created) == 1
