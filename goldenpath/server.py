"""The composition root of ``serve`` and ``demo``: wire repo, state, cloud, forge and HTTP.

This is the one place that imports both ``reconciler`` and ``webhooks``. The reconcile
loop runs on its own thread; uvicorn serves the webhooks, the JSON API and the web page
on the main thread. SIGTERM stops uvicorn, then the loop, which lets the apply in
progress record what it has issued (the journal resumes the rest on the next start).
"""

from __future__ import annotations

import gc
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog

from goldenpath.noop_mark import NOOP_RUNS
from goldenpath.notifying import report_targets, start_notifying
from goldenpath.terraform_fmt import terraform_fmt
from goldenpath.update_prs import start_update_prs
from reconciler.apply.engine import Reconciler
from reconciler.caching import (
    GUARDRAILS,
    LINT,
    TERRAFORM_FILES,
    VERSIONS,
    StoredLintCache,
    StoredVerdictCache,
)
from reconciler.checks.runner import ChangeChecks
from reconciler.cloud import Cloud
from reconciler.desired.reuse import BUILT_SERVICES
from reconciler.drift import DriftWatch
from reconciler.events import Event, EventQueue, LocalChange, SinkFull
from reconciler.forges import ForgeSettings, RedactSecrets, SystemClock, open_forge
from reconciler.loop import LoopSettings, ReconcileLoop
from reconciler.render import Linter, Renderer
from reconciler.source.tracked import TrackedRepo
from reconciler.specs.loader import SPEC_FILES
from reconciler.specs.memo import ContentMemo
from reconciler.specs.model import Platform
from reconciler.state import StateStore
from reconciler.validation import CHECKED_UNITS

log = structlog.get_logger(__name__)
# The state store's caches that can be derived again from content, pruned when long unused.
# Not the memories (account roles, recommended versions) nor the pull-request plans.
PRUNED_CACHES = (
    LINT,
    GUARDRAILS,
    TERRAFORM_FILES,
    VERSIONS,
    SPEC_FILES,
    BUILT_SERVICES,
    CHECKED_UNITS,
    NOOP_RUNS,
)
# Threads writing webhook delivery ids on PostgreSQL: with two, a burst of deliveries
# was accepted 35-60 % faster than with one (bench/webhooks_throughput.py, 64 connections).
POSTGRES_DELIVERY_WRITERS = 2
# The longest wait for the loop's first pass before start-up's objects are frozen anyway.
FREEZE_HEAP_WAIT_S = 600.0


@dataclass(frozen=True)
class ServeOptions:
    repo: str
    branch: str | None  # None: GOLDENPATH_BRANCH, goldenpath.yaml's spec.forge.branch, main
    host: str
    port: int
    interval: float
    cache: Path  # where remote repos are mirrored


class NotingSink:
    """The receiver's sink: tells the loop about each event, then queues what needs work."""

    def __init__(self, queue: EventQueue, loop: ReconcileLoop) -> None:
        self.queue = queue
        self.loop = loop

    def put(self, event: Event) -> None:
        if self.loop.note(event):
            self.queue.put(event)


def build_app(
    store: StateStore,
    sink: Any,
    deliveries: Any,
    environ: dict[str, str],
    environment_order: tuple[str, ...] = (),
    cloud: Cloud | None = None,
    drift: DriftWatch | None = None,
    platform: Any = None,
) -> Any:
    """The HTTP app: webhooks (taking delivery ids in ``deliveries``), the JSON API and the
    pages; with ``cloud``, the write actions too (cancel, retry, continue-update-rollback:
    each needs a token) and the stack events on the unit page.

    The webhooks are answered by an app of their own in front of the FastAPI one, so a
    delivery does not pay for layers only the API uses.
    """
    from fastapi import FastAPI

    from webhooks.api import status_router
    from webhooks.receiver import create_app, webhooks_first
    from webhooks.settings import ApiSettings, ReceiverSettings
    from webhooks.stack_events import StackEvents
    from webhooks.unit_views import StackViews
    from webhooks.views import ViewSettings

    settings = ReceiverSettings.from_env(environ)
    api = FastAPI(title="Goldenpath", docs_url="/api/docs", openapi_url="/api/openapi.json")
    access = ApiSettings.from_env(environ)
    if cloud is not None:
        from reconciler.actions import StackInterventions
        from webhooks.actions import WriteApi, action_router

        writes = WriteApi(store, StackInterventions(store, cloud), sink.put, access)
        api.include_router(action_router(writes))
    from webhooks.deployments import DeploymentApi, deployment_router

    # Terraform notifications; ``platform()``: goldenpath.yaml as last planned (whom to tell).
    known = platform or (lambda: None)
    api.include_router(deployment_router(DeploymentApi(store, sink.put, access, known)))
    calls = (lambda: dict(drift.calls)) if drift is not None else None
    shown = ViewSettings(environment_order=environment_order)
    stacks = StackViews()
    if cloud is not None:
        # An endpoint of its own means an emulator: its stacks are in no AWS console.
        endpoint = getattr(getattr(cloud, "settings", None), "endpoint_url", None)
        stacks = StackViews(StackEvents(cloud), endpoint)
    api.include_router(status_router(store, shown, drift_calls=calls, access=access, stacks=stacks))
    return webhooks_first(create_app(settings, sink, deliveries), api)


@contextmanager
def watching(tracked: TrackedRepo, queue: EventQueue) -> Iterator[None]:
    """Watch a local repository's tracked branch; a commit becomes one LocalChange event
    (a burst of ref writes, a rebase say, is one). Reads and uncommitted edits are not
    watched, so an idle serve does nothing."""

    def moved(ref: str) -> None:
        try:
            queue.put(LocalChange(ref))
        except SinkFull:  # the reconciler is behind: the poll brings the head anyway
            log.warning("serve.local_change_dropped", ref=ref)

    watcher = tracked.watch(moved)
    try:
        yield
    finally:
        if watcher is not None:
            watcher.close()


def serve(
    options: ServeOptions,
    store: StateStore,
    cloud: Cloud,
    environ: dict[str, str],
    on_ready: Any = None,
) -> int:
    """Run until SIGTERM/SIGINT. ``on_ready`` runs once the HTTP server listens."""
    import httpx
    import uvicorn

    tracked = TrackedRepo.open(options.repo, options.branch or "main", options.cache)
    environ = with_repo_settings(tracked, environ, branch_given=options.branch is not None)
    forge_settings = ForgeSettings.from_env(environ)
    forge = open_forge(forge_settings, http=httpx.Client(timeout=30.0), clock=SystemClock())
    public_url = environ.get("GOLDENPATH_PUBLIC_URL", f"http://{options.host}:{options.port}")
    stop = threading.Event()
    renderer = Renderer()
    cache = StoredLintCache(store, write_through=True)
    linter = Linter(cache)
    verdicts = StoredVerdictCache(store, write_through=True)
    from reconciler.provisioning.forge import forge_for
    from reconciler.provisioning.step import TerraformStep

    terraform = TerraformStep(
        store,
        options.cache / "provisioning",
        forge_for(forge_settings, httpx.Client(timeout=30.0)),
        link=forge_settings.commit_link,
    )
    engine = Reconciler(
        store,
        cloud,
        renderer=renderer,
        linter=linter,
        stop=stop,
        memo=ContentMemo(),
        verdicts=verdicts,
        terraform=terraform,
    )
    checks = ChangeChecks(
        tracked,
        store,
        forge,
        renderer=renderer,
        linter=linter,
        public_url=public_url,
        verdicts=verdicts,
        terraform_fmt=terraform_fmt,
    )
    queue = EventQueue(10_000)
    loop = ReconcileLoop(
        tracked,
        store,
        engine,
        checks,
        forge,
        queue,
        LoopSettings(interval=options.interval, public_url=public_url),
        pruned_caches=PRUNED_CACHES,
    )
    loop.provisioning = terraform
    loop.drift = DriftWatch(store, cloud, loop.applied_head_plan, holder=engine.holder)
    loop.updates = start_update_prs(
        tracked, store, forge_settings, environ, renderer, stop, lambda: loop.platform
    )
    from reconciler.actions import StackInterventions

    loop.recover_interventions = StackInterventions(store, cloud).recover
    from webhooks.deliveries import DurableDeliveries

    # Delivery ids in the state store: a redelivery is refused after a restart and by
    # every replica; those arriving together are committed together. PostgreSQL commits
    # two transactions at once (one flushes while the next is written); SQLite has one
    # writer at a time, so a second would only wait.
    writers = POSTGRES_DELIVERY_WRITERS if store.backend == "postgresql" else 1
    deliveries = DurableDeliveries(store, writers=writers)
    platform = platform_of(tracked)
    app = build_app(
        store,
        NotingSink(queue, loop),
        deliveries,
        environ,
        platform.rollout_order,
        cloud,
        loop.drift,
        lambda: loop.platform,
    )
    config = uvicorn.Config(
        app, host=options.host, port=options.port, log_config=None, access_log=False, lifespan="off"
    )
    server = _server(config)
    worker = threading.Thread(target=loop.run, args=(stop,), name="reconcile", daemon=True)
    with watching(tracked, queue):
        # cfn-lint's rules and boto3's API models are loaded now, not when the first
        # change is waiting for them.
        warm = threading.Thread(target=_warm_up, args=(linter, cloud), name="warm-up", daemon=True)
        warm.start()
        worker.start()
        # Notifications go out on a thread of their own: a slow receiver never holds up
        # the reconciler; what is queued survives a restart in the outbox.
        notifying = start_notifying(
            store, platform, environ, holder=engine.holder, public_url=public_url
        )
        loop.targets_changed = lambda changed: report_targets(changed, environ)
        threading.Thread(
            target=_freeze_heap, args=(warm, loop.first_pass), name="freeze-heap", daemon=True
        ).start()
        if on_ready is not None:
            threading.Thread(target=_when_listening, args=(server, on_ready), daemon=True).start()
        log.info(
            "serve.listening",
            url=public_url,
            repo=options.repo,
            branch=options.branch,
            forge=forge_settings.forge or "off",
        )
        server.run()
        log.info("serve.stopping", reason="signal")
        deliveries.close()
        stop.set()
        worker.join(timeout=120)
        notifying.stop()
    return 0


def _freeze_heap(warm: threading.Thread, first_pass: threading.Event) -> None:
    """Keep what start-up loaded out of the garbage collector's full passes.

    cfn-lint's rules, boto3's models, the embedded emulator's moto and what the first pass
    read live as long as the process: about 0.6 million objects, which every full
    collection walked, a pause of 0.4-1 s each, every few seconds under a burst of
    webhooks. ``gc.freeze`` moves them to a generation collections skip (reference
    counting still frees any that go).
    """
    warm.join()
    first_pass.wait(FREEZE_HEAP_WAIT_S)
    started = time.perf_counter()
    gc.collect()
    gc.freeze()
    log.info(
        "serve.heap_frozen",
        objects=gc.get_freeze_count(),
        seconds=round(time.perf_counter() - started, 3),
    )


def _warm_up(linter: Linter, cloud: Cloud) -> None:
    linter.warm_up()
    warm = getattr(cloud, "warm_up", None)  # the AWS cloud has one; test doubles need none
    if warm is not None:
        try:
            warm()
        except Exception as exc:  # only a head start: the first real call reports problems
            log.warning("serve.warm_up_failed", error=str(exc), error_type=type(exc).__name__)


def platform_of(tracked: TrackedRepo) -> Platform:
    """goldenpath.yaml at the tracked head (its defaults when absent or invalid)."""
    from reconciler.specs.loader import PLATFORM_FILE, load_specs

    files = tracked.source.files(tracked.head())
    found = {PLATFORM_FILE: files[PLATFORM_FILE]} if PLATFORM_FILE in files else {}
    return load_specs(found)[0].platform


def with_repo_settings(
    tracked: TrackedRepo, environ: dict[str, str], *, branch_given: bool
) -> dict[str, str]:
    """Forge settings from goldenpath.yaml's ``spec.forge`` where the environment has none.

    The environment wins; secrets never come from the repo. When no branch was given on
    the command line or in GOLDENPATH_BRANCH, ``spec.forge.branch`` picks the tracked one.
    """
    from reconciler.specs.loader import PLATFORM_FILE, load_specs

    files = tracked.source.files(tracked.head())
    specs, _problems = load_specs(
        {PLATFORM_FILE: files[PLATFORM_FILE]} if PLATFORM_FILE in files else {}
    )
    forge = specs.platform.forge
    if forge.branch and not branch_given:
        tracked.branch = forge.branch
    defaults = {
        "GOLDENPATH_FORGE": forge.provider,
        "GOLDENPATH_FORGE_URL": forge.url,
        "GOLDENPATH_FORGE_REPO": forge.repo,
        "GOLDENPATH_BRANCH": tracked.branch,
    }
    return {
        **{k: v for k, v in defaults.items() if v},
        **environ,
        "GOLDENPATH_BRANCH": tracked.branch,
    }


def _server(config: Any) -> Any:
    """uvicorn's server, minus its re-raising of SIGTERM after shutdown.

    uvicorn re-raises the signal it caught once it has stopped, which would end the
    process before the reconcile loop records what is in flight. Here the signal only
    asks the server to exit; ``serve`` then stops the loop and returns normally.
    """
    import uvicorn

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: Any) -> None:
            if self.should_exit and sig == signal.SIGINT:
                self.force_exit = True
            self.should_exit = True

    return Server(config)


def _when_listening(server: Any, callback: Any) -> None:
    while not server.started:
        time.sleep(0.05)
    callback()


def redact(environ: dict[str, str]) -> RedactSecrets:
    secrets = [
        v
        for k, v in environ.items()
        if k.startswith("GOLDENPATH_") and any(w in k for w in ("SECRET", "TOKEN", "KEY")) and v
    ]
    return RedactSecrets(secrets)
