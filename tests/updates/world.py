"""A world for update pull requests: the team's clone, a bare remote on disk, serve's
mirror of it, a state store, and a fake forge (GitHub or GitLab) behind a real client."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from reconciler.desired.build import build_desired
from reconciler.forges import ForgeClient, RetryPolicy
from reconciler.forges.github import GitHubToken, github_forge
from reconciler.forges.gitlab import GitLabToken, gitlab_forge
from reconciler.plan.model import Recorded
from reconciler.render import Renderer
from reconciler.source.tracked import TrackedRepo
from reconciler.state import StateStore
from reconciler.updates import (
    Author,
    Proposal,
    UpdateBranch,
    UpdateOutcome,
    UpdatePullRequests,
    UpdateSettings,
)
from tests.fakes.clock import FakeClock
from tests.fakes.github import FakeGitHub
from tests.fakes.gitlab import FakeGitLab
from tests.support.platform_repo import PlatformRepo, small_platform

TOKEN = "ghp_update_prs_token_abcdef"
REPO = "pizza-ananas/platform"
SVC_BODY = "templates/svc/v1/instance_infrastructure/cloudformation.yaml"
SETTINGS = UpdateSettings(retry=RetryPolicy(attempts=2, first_backoff_s=0.0))


@dataclass
class World:
    work: PlatformRepo
    bare: Path
    tracked: TrackedRepo
    store: StateStore
    fake: FakeGitHub | FakeGitLab
    forge: ForgeClient
    updates: UpdatePullRequests
    recorded: dict[str, Recorded]
    outcomes: list[UpdateOutcome]

    def bump(self, line: str) -> str:
        """A new minor of the service template, merged and pushed by the platform team."""
        path = self.work.root / SVC_BODY
        path.write_text(path.read_text().replace("DelaySeconds:", f"{line}\n      DelaySeconds:"))
        head = self.work.commit(f"svc: {line}")
        self.work.git("push", "-q", "origin", "main")
        return head

    def consider(self) -> list[Proposal]:
        """What serve's reconciler does after applying the head: fetch, build, consider
        (and, between its other work, advance until all proposals are made)."""
        self.tracked.fetch()
        snapshot = self.tracked.source.snapshot(self.tracked.head())
        in_use = {u: r.version for u, r in self.recorded.items()}
        build = build_desired(snapshot, in_use=in_use)
        made = self.updates.consider(snapshot, build, self.recorded)
        while made is None and self.updates.considering:
            made = self.updates.advance()
        return made or []

    def offer(self) -> list[UpdateOutcome]:
        """Consider, then publish what was handed over, as the updates' thread would."""
        self.consider()
        return self.updates.publish_all(self.updates.take_due() or [])

    def remote_file(self, ref: str, path: str) -> str:
        return self.work.git("--git-dir", str(self.bare), "show", f"{ref}:{path}")

    def remote_tip(self, branch: str) -> str:
        return self.work.git("--git-dir", str(self.bare), "rev-parse", f"refs/heads/{branch}")


def deployed(snapshot_repo: TrackedRepo) -> dict[str, Recorded]:
    """Every unit of the head, recorded as deployed at the version it builds to (1.0)."""
    snapshot = snapshot_repo.source.snapshot(snapshot_repo.head())
    units = build_desired(snapshot).state.units.values()
    return {
        u.id: Recorded(
            u.id,
            u.kind,
            u.stack_name,
            u.target.id,
            u.target.region,
            u.template,
            u.version.version,
            "f",
            {"QueueUrl": f"https://sqs/{u.id}", "VpcId": "vpc-1"},
        )
        for u in units
    }


def branch_exists(bare: Path, branch: str) -> bool:
    done = subprocess.run(
        ["git", "--git-dir", str(bare), "rev-parse", "--verify", "-q", f"refs/heads/{branch}"],
        capture_output=True,
    )
    return done.returncode == 0


@contextmanager
def update_world(
    tmp_path: Path, store: StateStore, forge: str = "github", settings: UpdateSettings = SETTINGS
) -> Iterator[World]:
    bare = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    work = small_platform(tmp_path / "work")
    work.git("remote", "add", "origin", str(bare))
    work.git("push", "-q", "origin", "main")
    tracked = TrackedRepo.open(f"file://{bare}", "main", tmp_path / "mirrors")
    clock = FakeClock()
    http = httpx.Client()
    fake: FakeGitHub | FakeGitLab
    if forge == "github":
        fake = FakeGitHub(token=TOKEN, repo=REPO, clock=clock.time).start()
        fake.teams = {"storefront"}
        client = github_forge(
            REPO,
            GitHubToken(TOKEN, "goldenpath"),
            http=http,
            clock=clock,
            policy=settings.retry,
            url=fake.url,
        )
    else:
        fake = FakeGitLab(token=TOKEN, project_id=42, project_path=REPO, clock=clock.time).start()
        fake.users = {"gregg": 7, "anna": 1}
        client = gitlab_forge(
            REPO,
            GitLabToken(TOKEN, "goldenpath"),
            http=http,
            clock=clock,
            policy=settings.retry,
            url=fake.url,
        )
    fake.branch_exists = lambda branch: branch_exists(bare, branch)
    outcomes: list[UpdateOutcome] = []
    branch = UpdateBranch(
        str(tracked.source.repo.git_dir),
        "origin",
        "main",
        Author(settings.author_name, settings.author_email),
        settings.git_timeout_s,
    )
    updates = UpdatePullRequests(
        store, client, branch, Renderer(), "main", settings, on_outcome=outcomes.append
    )
    try:
        yield World(work, bare, tracked, store, fake, client, updates, deployed(tracked), outcomes)
    finally:
        fake.stop()
        http.close()
