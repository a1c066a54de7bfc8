"""Wire the update pull requests of ``serve``: settings, their own forge client (with
short retries), the branch pusher, and the thread that publishes."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from functools import partial

import httpx
import structlog

from reconciler.errors import GoldenpathError
from reconciler.forges import ForgeSettings, SystemClock, open_forge
from reconciler.notifications import events, publish_now
from reconciler.render import Renderer
from reconciler.source.tracked import TrackedRepo
from reconciler.specs.model import Platform
from reconciler.state import StateStore
from reconciler.updates import Author, UpdateBranch, UpdatePullRequests, UpdateSettings
from reconciler.updates.outcome import UpdateOutcome, moves_digest, version_key

log = structlog.get_logger(__name__)
REMOTE = "origin"


def start_update_prs(
    tracked: TrackedRepo,
    store: StateStore,
    forge_settings: ForgeSettings,
    environ: dict[str, str],
    renderer: Renderer,
    stop: threading.Event,
    platform: Callable[[], Platform | None] = lambda: None,
) -> UpdatePullRequests | None:
    """The update pull requests, publishing on a thread of their own until ``stop``;
    None when ``GOLDENPATH_UPDATE_PRS=off``. Each one opened, or moved to newer versions,
    is an ``update_pr.opened`` notification for the targets of ``platform()`` (the head
    the loop planned last)."""
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
    told = partial(_tell, store, forge_settings, platform)
    updates = UpdatePullRequests(
        store, forge, branch, renderer, tracked.branch, settings, on_outcome=told
    )
    if forge is not None and branch is not None:
        threading.Thread(target=updates.run, args=(stop,), name="update-prs", daemon=True).start()
    return updates


def _tell(
    store: StateStore,
    forge_settings: ForgeSettings,
    platform: Callable[[], Platform | None],
    outcome: UpdateOutcome,
) -> None:
    """Queue ``update_pr.opened`` for a pull request opened, or updated to new versions
    (the same versions pushed again are the same event, queued once)."""
    known = platform()
    if known is None or outcome.action not in ("opened", "updated") or outcome.number is None:
        return
    notice = events.update_pr_opened(
        service=outcome.service,
        team=outcome.team,
        forge=forge_settings.forge or "",
        repository=forge_settings.repo or "",
        number=outcome.number,
        url=outcome.url,
        template=outcome.template,
        to_version=max((to for _, to in outcome.moves.values()), key=version_key, default=""),
        instances=sorted(outcome.moves),
        head=moves_digest(outcome.moves),
        now=store.now(),
    )
    try:
        publish_now(store, known, notice)
    except GoldenpathError as exc:  # never fails the publishing thread
        log.error("update_pr.notify_failed", service=outcome.service, error=str(exc))
