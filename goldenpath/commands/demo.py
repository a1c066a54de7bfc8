"""``goldenpath demo``: the example platform on the embedded emulator, served locally.

Copies ``platform-repo-example/`` into a fresh git repository (kept between runs, so your
edits survive), starts the emulator in this process on loopback, applies the example on
a SQLite state store and serves it like ``serve`` does, with the web page on
http://127.0.0.1:8080. Then it says what to try.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dir",
        default="goldenpath-demo",
        help="where the demo's repo and state live (default ./goldenpath-demo)",
    )
    parser.add_argument("--listen", default="127.0.0.1:8080", help="host:port of the web page")
    parser.add_argument(
        "--emulator-port",
        type=int,
        default=4566,
        help="the emulator's port, so other commands can use it (0: any)",
    )
    parser.add_argument(
        "--exit-after-apply",
        action="store_true",
        help="apply once, print the summary and stop (for scripts and CI)",
    )


def run(args: argparse.Namespace) -> int:
    import time

    from emulator import start_embedded
    from goldenpath.cloud import EMULATOR_KEY
    from goldenpath.output import say
    from goldenpath.server import ServeOptions, serve
    from reconciler.apply.engine import Reconciler
    from reconciler.caching import StoredLintCache, committed_snapshot
    from reconciler.cloud import AwsCloud, CloudSettings
    from reconciler.render import Linter
    from reconciler.source.git import GitSource
    from reconciler.state import StateStore

    root = Path(args.dir).resolve()
    repo = root / "repo"
    if not (repo / ".git").exists():
        _copy_example(repo)
    # The emulated cloud lives as long as this process: its state starts afresh with it.
    for stale in root.glob("state.db*"):
        stale.unlink()
    state = f"sqlite:///{root / 'state.db'}"
    port = args.emulator_port if _free(args.emulator_port) else 0
    started = time.monotonic()
    with start_embedded(port=port) as emulator, StateStore.open(state) as store:
        cloud = AwsCloud(CloudSettings(endpoint_url=emulator.url, access_key=EMULATOR_KEY))
        cache = StoredLintCache(store)
        snapshot = committed_snapshot(GitSource.open(repo), "HEAD", store)
        applied = Reconciler(store, cloud, linter=Linter(cache)).apply(snapshot)
        cache.flush()
        report = applied.report
        say(
            f"goldenpath demo: {report.count('applied')} stacks applied, "
            f"{report.count('unchanged')} up to date, {report.count('failed', 'invalid')} "
            f"failed, in {time.monotonic() - started:.1f} s"
        )
        host, _, web_port = args.listen.rpartition(":")
        say(_next_steps(repo, state, emulator.url, args.listen))
        if args.exit_after_apply:
            return 0 if report.ok else 1
        options = ServeOptions(
            repo=str(repo),
            branch="main",
            host=host,
            port=int(web_port),
            interval=30.0,
            cache=root / "repos",
        )
        return serve(options, store, cloud, dict(os.environ))


# Prepared pull requests of the example (its ``proposed/`` folder): each becomes a branch of
# the demo's repo, ready to merge, and is not part of the platform on main.
PROPOSED = "proposed"
PROPOSAL_NOTE = "PULL_REQUEST.md"


def _copy_example(repo: Path) -> None:
    import shutil

    source = _example()
    shutil.copytree(source, repo, ignore=shutil.ignore_patterns(PROPOSED))
    git = _git(repo)
    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-q", "-m", "Pizza&Ananas platform, from the example")
    for proposal in sorted((source / PROPOSED).iterdir()) if (source / PROPOSED).is_dir() else ():
        _prepare_branch(repo, proposal)


def _prepare_branch(repo: Path, proposal: Path) -> None:
    """The branch ``proposal.name``: main plus the proposal's files, in one commit whose
    message is the first line of its PULL_REQUEST.md."""
    import shutil

    git = _git(repo)
    note = proposal / PROPOSAL_NOTE
    title = proposal.name
    if note.exists():
        title = note.read_text().splitlines()[0].lstrip("# ").strip()
    git("checkout", "-q", "-b", proposal.name)
    for file in proposal.rglob("*"):
        if file.is_file() and file.name != PROPOSAL_NOTE:
            target = repo / file.relative_to(proposal)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(file, target)
    git("add", "-A")
    git("commit", "-q", "-m", title)
    git("checkout", "-q", "main")


def _git(repo: Path) -> Callable[..., None]:
    import subprocess as sp

    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Anna",
        "GIT_AUTHOR_EMAIL": "anna@pizza.example",
        "GIT_COMMITTER_NAME": "Anna",
        "GIT_COMMITTER_EMAIL": "anna@pizza.example",
    }

    def run(*arguments: str) -> None:
        sp.run(["git", *arguments], cwd=repo, env=env, check=True)

    return run


def _example() -> Path:
    """platform-repo-example beside the package (a checkout), or inside it (a wheel)."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here.parent / "platform-repo-example", here / "example"):
        if (candidate / "goldenpath.yaml").exists():
            return candidate
    raise SystemExit("goldenpath demo: platform-repo-example is not installed with this copy")


def _free(port: int) -> bool:
    import socket as so

    if port == 0:
        return True
    with so.socket(so.AF_INET, so.SOCK_STREAM) as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def _next_steps(repo: Path, state: str, emulator_url: str, listen: str) -> str:
    return f"""
Look:
  web page     http://{listen}/
  status       goldenpath status --state {state}
  history      goldenpath history service/web/test --state {state}
  the cloud    goldenpath plan {repo} --state {state} --aws-endpoint-url {emulator_url}

Try:
  1. A developer's change: edit {repo}/services/web.yaml (e.g. the test instance's
     image), then cd {repo} && git commit -am "new image for web in test"; the page and
     `goldenpath status` show it go out within seconds.
  2. The platform team swaps Fargate for App Runner behind private-web-svc, one commit
     that changes no service file (the branch is ready; see docs/example.md):
       cd {repo} && git merge private-web-svc-on-app-runner
     The page shows the rollout of private-web-svc 1.1 wave by wave (test, staging,
     production); menu-api gets an App Runner address and web, which binds it, is
     rendered again with it (`goldenpath status` shows menu-api's new Url).

Guardrails (the platform's Rego policies in {repo}/policies):
  3. make every bucket of the s3-bucket template public, and commit it:
       cd {repo} && sed -i 's/BlockPublicPolicy: true/BlockPublicPolicy: false/' \
         templates/s3-bucket/v1/instance_infrastructure/cloudformation.yaml
       git commit -qam "buckets may be public"
  4. goldenpath validate {repo} --no-lint says which rule denies which bucket, and why;
     the rollout of the new s3-bucket version stops at menu-images/test, shown denied on
     the page and in `goldenpath status`: no bucket is ever made public.
     `git revert --no-edit HEAD` puts it back.
  5. goldenpath policy test {repo} runs the policies' own tests.
Stop with Ctrl-C. Your repo stays in {repo}; the emulated cloud starts afresh with each
`goldenpath demo`, which applies the repo as you left it.
"""
