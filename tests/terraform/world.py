"""The world of a Terraform end-to-end test: the platform repo, a bare provisioning repo
on disk, the fake GitHub, the engine with its provisioning step, and the notification
endpoint and pages served over real HTTP on loopback.

The provisioning repository starts as the sample provisioning repository did: its
workflow (``.github/workflows/proton_run.yml``) and ``env_config.json``, nothing else.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI

from reconciler.actions import create_token
from reconciler.apply.engine import Applied, Reconciler
from reconciler.cloud import Cloud
from reconciler.events import Notified
from reconciler.forges import ForgeClient
from reconciler.forges.github import GitHubToken, github_forge
from reconciler.forges.transport import RetryPolicy
from reconciler.provisioning.step import TerraformStep
from reconciler.source.git import GitSource
from reconciler.specs.loader import load_specs
from reconciler.specs.model import Platform
from reconciler.state import StateStore
from tests.fakes.clock import FakeClock
from tests.fakes.github import FakeGitHub
from tests.fakes.github_pulls import PullRequest
from tests.support.platform_repo import GIT_ENV, PlatformRepo
from webhooks.api import status_router
from webhooks.deployments import DeploymentApi, deployment_router
from webhooks.settings import ApiSettings
from webhooks.views import ViewSettings

PROVISIONING_REPO = "acme/provisioning"
FORGE_TOKEN = "ghp_provisioningToken0123456789"
BRANCH = "goldenpath/provisioning"
POLICY = RetryPolicy(attempts=3, first_backoff_s=0.01, timeout_s=10.0)
START_POLLS = 1000


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV},
    )
    return done.stdout.strip()


def provisioning_remote(root: Path, seed: Path) -> Path:
    """A bare repository whose main holds the sample's workflow and env_config.json."""
    bare = root / "provisioning.git"
    git(root, "init", "-q", "--bare", "-b", "main", str(bare))
    work = root / "provisioning-seed"
    git(root, "clone", "-q", str(bare), str(work))
    (work / ".github/workflows").mkdir(parents=True)
    shutil.copy(seed / ".github/workflows/proton_run.yml", work / ".github/workflows")
    shutil.copy(seed / "env_config.json", work / "env_config.json")
    git(work, "add", "-A")
    git(work, "commit", "-qm", "the sample provisioning repository")
    git(work, "push", "-q", "origin", "HEAD:main")
    return bare


def terraform_settings(bare: Path) -> str:
    return f"""
    apiVersion: goldenpath.dev/v1
    kind: Platform
    metadata: {{name: pizza-ananas}}
    spec:
      region: us-east-1
      terraform:
        repository: {{provider: github, repo: {PROVISIONING_REPO}, branch: main,
                      url: "{bare.as_uri()}"}}
    """


@dataclass
class ProvisioningWorld:
    platform: PlatformRepo
    bare: Path
    store: StateStore
    github: FakeGitHub
    cloud: Cloud
    cache: Path
    url: str  # the notification endpoint and pages
    admin: str  # an admin token's text
    state_url: str
    notified: list[Notified] = field(default_factory=list)
    # Also told of each notification taken (a reconcile loop's queue, say).
    listeners: list[Callable[[Notified], None]] = field(default_factory=list)

    def engine(self) -> Reconciler:
        forge = self.forge()
        step = TerraformStep(
            self.store,
            self.cache,
            lambda _repository: forge,
            link=lambda rev: f"https://github.com/acme/platform/commit/{rev}",
        )
        return Reconciler(self.store, self.cloud, terraform=step)

    def open_pulls(self) -> list[PullRequest]:
        return [p for p in self.github.pull_requests.values() if p.state == "open"]

    def forge(self) -> ForgeClient:
        return github_forge(
            PROVISIONING_REPO,
            GitHubToken(FORGE_TOKEN, "goldenpath-tests"),
            http=httpx.Client(timeout=10),
            clock=FakeClock(),
            policy=POLICY,
            url=self.github.url,
        )

    def apply(self) -> Applied:
        return self.engine().apply(GitSource.open(self.platform.root).snapshot("HEAD"))

    def branches(self) -> set[str]:
        listed = git(self.bare, "for-each-ref", "--format=%(refname:short)", "refs/heads")
        return set(listed.split())

    def branch_head(self) -> str:
        return git(self.bare, "rev-parse", BRANCH)

    def show(self, ref: str, path: str) -> bytes:
        done = subprocess.run(
            ["git", "show", f"{ref}:{path}"], cwd=self.bare, check=True, capture_output=True
        )
        return done.stdout

    def files(self, ref: str, folder: str) -> set[str]:
        listed = git(self.bare, "ls-tree", "-r", "--name-only", ref, "--", f"{folder}/")
        return {line[len(folder) + 1 :] for line in listed.splitlines()}

    def merge(self, number: int) -> None:
        """Merge the provisioning PR: main moves to its branch (a fast-forward)."""
        head = git(self.bare, "rev-parse", BRANCH)
        git(self.bare, "update-ref", "refs/heads/main", head)
        self.github.close_pull(number, merged=True)

    def post(self, deployment_id: str, body: object, token: str | None = None) -> httpx.Response:
        return httpx.post(
            f"{self.url}/api/v1/deployments/{deployment_id}/notifications",
            json=body,
            headers={"Authorization": f"Bearer {token or self.admin}"},
            timeout=30,
        )


@contextmanager
def provisioning_world(
    root: Path, platform: PlatformRepo, cloud: Cloud, seed: Path
) -> Iterator[ProvisioningWorld]:
    bare = provisioning_remote(root, seed)
    state_url = f"sqlite:///{root / 'state.db'}"
    store = StateStore.open(state_url)
    admin = create_token(store, team=None, name="provisioning-ci", created_by="anna")[0].text
    notified: list[Notified] = []
    listeners: list[Callable[[Notified], None]] = []

    def tell(event: Notified) -> None:
        notified.append(event)
        for listener in listeners:
            listener(event)

    app = FastAPI()

    def planned_platform() -> Platform:
        """goldenpath.yaml at the platform repo's head, as serve's loop last planned it."""
        files = GitSource.open(platform.root).snapshot("HEAD").files
        return load_specs(files)[0].platform

    api = DeploymentApi(store, tell, ApiSettings(), planned_platform)
    app.include_router(deployment_router(api))
    app.include_router(status_router(store, ViewSettings()))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(START_POLLS):
        if server.started:
            break
        threading.Event().wait(0.01)
    assert server.started, "uvicorn did not start"
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    github = FakeGitHub(FORGE_TOKEN, PROVISIONING_REPO)
    with github:
        world = ProvisioningWorld(
            platform,
            bare,
            store,
            github,
            cloud,
            root / "cache",
            url,
            admin,
            state_url,
            notified,
            listeners,
        )
        github.branch_exists = lambda branch: branch in world.branches()
        try:
            yield world
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            sock.close()
            store.close()
