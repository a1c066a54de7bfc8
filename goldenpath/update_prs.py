"""Wire the update pull requests of ``serve``: settings, their own forge client (with
short retries), the branch pusher, and the thread that publishes."""

from __future__ import annotations

import threading
from dataclasses import replace

import httpx
import structlog

from reconciler.forges import ForgeSettings, SystemClock, open_forge
from reconciler.render import Renderer
from reconciler.source.tracked import TrackedRepo
from reconciler.state import StateStore
from reconciler.updates import Author, UpdateBranch, UpdatePullRequests, UpdateSettings

log = structlog.get_logger(__name__)
REMOTE = "origin"


def start_update_prs(
    tracked: TrackedRepo,
    store: StateStore,
    forge_settings: ForgeSettings,
    environ: dict[str, str],
    renderer: Renderer,
    stop: threading.Event,
) -> UpdatePullRequests | None:
    """The update pull requests, publishing on a thread of their own until ``stop``;
    None when ``GOLDENPATH_UPDATE_PRS=off``."""
    settings = UpdateSettings.from_env(environ)
    if not settings.enabled:
        log.info("update_pr.off", reason="GOLDENPATH_UPDATE_PRS=off")
        return None
    forge = open_forge(
        replace(forge_settings, retry=settings.retry),
        http=httpx.Client(timeout=settings.retry.timeout_s),
        clock=SystemClock(),
    )
    repo = tracked.source.repo
    pushable = tracked.remote or REMOTE in {r.name for r in repo.remotes}
    branch = (
        UpdateBranch(
            str(repo.git_dir),
            REMOTE,
            tracked.branch,
            Author(settings.author_name, settings.author_email),
            settings.git_timeout_s,
        )
        if pushable
        else None
    )
    updates = UpdatePullRequests(store, forge, branch, renderer, tracked.branch, settings)
    if forge is not None and branch is not None:
        threading.Thread(target=updates.run, args=(stop,), name="update-prs", daemon=True).start()
    return updates
