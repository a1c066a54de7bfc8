"""The world of an end-to-end test: remote, working clone, emulator, fake forge, serve."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import httpx

from tests.fakes.github import FakeGitHub
from tests.fakes.gitlab import FakeGitLab
from tests.support.platform_repo import GIT_ENV, PlatformRepo, small_platform

GOLDENPATH = str(Path(sys.executable).parent / "goldenpath")
# How long a test waits for serve to react; generous, the machine is shared.
PATIENCE_S = 90.0


def wait_for(condition: Callable[[], Any], what: str, timeout: float = PATIENCE_S) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class World:
    work: PlatformRepo
    bare: Path
    url: str
    emulator_url: str
    github: FakeGitHub
    gitlab: FakeGitLab | None
    secret: str
    repo_name: str
    payloads: Path
    http: httpx.Client
    log: Path

    def git(self, *args: str) -> str:
        return self.work.git(*args)

    def commit_and_push(self, message: str | None, branch: str) -> str:
        if message is not None:
            self.work.commit(message)
        self.git("push", "-q", "origin", f"HEAD:refs/heads/{branch}", "--force")
        return self.git("rev-parse", "HEAD")

    def deliver(self, forge: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
        return self.http.post(f"{self.url}/webhooks/{forge}", content=body, headers=headers)

    def stack_exists(self, account: str, name: str) -> bool:
        stacks = self.cloudformation(account).describe_stacks()["Stacks"]
        return any(
            s["StackName"] == name and s["StackStatus"].endswith("_COMPLETE") for s in stacks
        )

    def stack(self, account: str, name: str) -> dict[str, Any]:
        found: dict[str, Any] = self.cloudformation(account).describe_stacks(StackName=name)[
            "Stacks"
        ][0]
        return found

    def template(self, account: str, name: str) -> str:
        body = self.cloudformation(account).get_template(StackName=name)["TemplateBody"]
        return body if isinstance(body, str) else json.dumps(body)

    def cloudformation(self, account: str) -> Any:
        """boto3 CloudFormation in ``account``, through its deployer role, as a person would."""
        sts = boto3.client(
            "sts",
            endpoint_url=self.emulator_url,
            region_name="us-west-2",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        creds = sts.assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/goldenpath-deployer", RoleSessionName="test"
        )["Credentials"]
        return boto3.client(
            "cloudformation",
            endpoint_url=self.emulator_url,
            region_name="us-west-2",
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        )


@contextmanager
def running_world(
    tmp_path: Path,
    payloads: Path,
    emulator_url: str,
    *,
    forge: str = "github",
    platform: Callable[[Path], PlatformRepo] = small_platform,
) -> Iterator[World]:
    bare = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    work = platform(tmp_path / "work")
    work.git("remote", "add", "origin", str(bare))
    work.git("push", "-q", "origin", "main")
    secret = "e2e-webhook-secret-1234"
    token = "ghp_e2e_token_abcdefghijklmnop"
    repo_name = "pizza-ananas/platform"
    github = FakeGitHub(token=token, repo=repo_name).start()
    gitlab = (
        FakeGitLab(token=token, project_id=42, project_path=repo_name).start()
        if forge == "gitlab"
        else None
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        **GIT_ENV,
        "GOLDENPATH_FORGE": forge,
        "GOLDENPATH_FORGE_URL": github.url if forge == "github" else gitlab.url,  # type: ignore[union-attr]
        "GOLDENPATH_FORGE_TOKEN": token,
        "GOLDENPATH_FORGE_REPO": repo_name,
        "GOLDENPATH_WEBHOOK_SECRET": secret,
        "GOLDENPATH_BRANCH": "main",
        "GOLDENPATH_PUBLIC_URL": url,
    }
    log = tmp_path / "serve.log"
    command = [
        GOLDENPATH,
        "serve",
        "--repo",
        f"file://{bare}",
        "--listen",
        f"127.0.0.1:{port}",
        "--interval",
        "3600",
        "--state",
        f"sqlite:///{tmp_path / 'state.db'}",
        "--cloud",
        "embedded",
        "--aws-endpoint-url",
        emulator_url,
        "--output",
        "json",
    ]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=out, stderr=out)
    http = httpx.Client(timeout=10.0)
    try:
        wait_for(lambda: _healthy(http, url, process, log), "serve to listen")
        yield World(
            work, bare, url, emulator_url, github, gitlab, secret, repo_name, payloads, http, log
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        http.close()
        github.stop()
        if gitlab is not None:
            gitlab.stop()


def _healthy(http: httpx.Client, url: str, process: subprocess.Popen[bytes], log: Path) -> bool:
    if process.poll() is not None:
        raise AssertionError(f"serve exited with {process.returncode}:\n{log.read_text()[-3000:]}")
    try:
        return http.get(f"{url}/healthz").status_code == 200
    except httpx.HTTPError:
        return False
