"""``goldenpath apply [REPO] [--ref REF] --yes``: make the cloud match the repo."""

from __future__ import annotations

import argparse
import os
from typing import Any

from goldenpath.revisions import add_ref_arguments

# Logs are set up once the run needs the engine (goldenpath.cli): a no-op never does.
CONFIGURES_LOGS = True


def arguments(parser: argparse.ArgumentParser) -> None:
    add_ref_arguments(parser)
    parser.add_argument("--yes", action="store_true", help="apply without asking")
    parser.add_argument("--workers", type=int, default=8, help="API calls at once (default 8)")
    parser.add_argument(
        "--lint-workers",
        type=int,
        # One core stays with the engine (and, here, the emulator): on two cores one
        # worker deploys 200 stacks faster than two.
        default=max(1, (os.cpu_count() or 1) - 1),
        help="processes that run cfn-lint on the bodies to deploy, 0 for this process "
        "(default: one per core but one)",
    )


def run(args: argparse.Namespace) -> int:
    from goldenpath.noop_mark import fast_noop, marked, noop_key
    from goldenpath.revisions import resolved

    if not args.yes:
        from goldenpath.output import say

        say("error: apply changes infrastructure; run it with --yes (see `goldenpath plan`)")
        return 1
    revision = resolved(args)
    if revision is None:
        return 1
    found = fast_noop(args.state, revision)
    if found is not None and _all_noop(found["plan"]):
        _say_unchanged(found["plan"], args.output)
        return 0
    from goldenpath.cli import configure_logs
    from goldenpath.workspace import LintPool
    from reconciler.state import StateStore

    configure_logs(args)
    # Forked first: the workers build cfn-lint's rules (a second) while this process
    # opens the state, reads the repo and plans.
    pool = LintPool(args.lint_workers) if args.lint_workers > 0 else None
    try:
        with StateStore.open(args.state) as store:
            found = marked(store, noop_key(revision, store, args.state))
            if found is not None and _all_noop(found["plan"]):
                # Nothing changed since a run that found nothing to do: no cloud, no call.
                _say_unchanged(found["plan"], args.output)
                return 0
            return _apply_with(args, store, revision, pool)
    finally:
        if pool is not None:
            pool.close()


def _apply_with(args: argparse.Namespace, store: Any, revision: Any, pool: Any) -> int:
    from goldenpath.cloud import open_cloud
    from goldenpath.report import ApplyProgressView, print_apply
    from goldenpath.revisions import committed_snapshot, open_source, source_error
    from goldenpath.workspace import AwaitingLintCache, today
    from reconciler.apply.engine import Reconciler
    from reconciler.apply.executor import ApplySettings
    from reconciler.caching import StoredLintCache, StoredVerdictCache
    from reconciler.errors import SourceError
    from reconciler.render import Linter

    try:
        snapshot = committed_snapshot(open_source(args.repo), revision.commit, store)
    except SourceError as exc:
        return source_error(args, exc)
    stored = StoredLintCache(store)
    verdicts = StoredVerdictCache(store)
    # The engine's lint gate waits only for the body it is about to deploy.
    cache = AwaitingLintCache(stored)

    def lint_behind(planned: Any) -> None:
        if pool is not None:
            pool.lint_behind(cache, bodies_to_deploy(planned))

    try:
        with (
            open_cloud(args) as cloud,
            ApplyProgressView(enabled=args.output != "json") as view,
        ):
            engine = Reconciler(
                store,
                cloud,
                linter=Linter(cache),
                settings=ApplySettings(workers=args.workers),
                progress=view.update,
                verdicts=verdicts,
                today=today,
                terraform=_terraform_step(store),
            )
            applied = engine.apply(snapshot, on_planned=lint_behind)
    finally:
        stored.flush()
        verdicts.flush()
    ok = not applied.planned.build.errors and applied.report.ok
    if ok and not engine.stop.is_set():
        _mark_if_settled(store, revision, snapshot, applied, args.state)
    print_apply(applied, args.output)
    return 0 if ok else 1


def bodies_to_deploy(planned: Any) -> list[tuple[str, tuple[str, ...], str, str]]:
    """What the engine's lint gate will see first, in the order it deploys: the complete
    bodies the plan creates or updates."""
    ignore = planned.build.specs.platform.lint_ignore_checks
    jobs = []
    for item in planned.plan.units:
        rendered = item.rendered
        if (
            item.action in ("create", "update")
            and rendered is not None
            and rendered.complete
            and rendered.terraform is None  # files for CI, not a stack: no cfn-lint
        ):
            unit = rendered.unit
            template = unit.bundle.infrastructure[unit.infrastructure].path
            jobs.append((rendered.body, ignore, unit.target.region, template))
    return jobs


def _mark_if_settled(store: Any, revision: Any, snapshot: Any, applied: Any, url: str) -> None:
    """Leave a no-op mark when the state now matches the repo: the next run can skip."""
    from goldenpath.commands.plan import plan_text
    from goldenpath.noop_mark import OfflineCloud, mark, noop_key
    from goldenpath.report import plan_json
    from reconciler.apply.engine import Reconciler

    key = noop_key(revision, store, url)
    if key is None:
        return
    untouched = all(o.kind == "unchanged" for o in applied.report.outcomes.values())
    # A run that changed nothing planned against the state as it still is; otherwise
    # plan once more, offline, against what the run recorded.
    from goldenpath.workspace import today

    again = Reconciler(store, OfflineCloud(), today=today)
    planned = applied.planned if untouched else again.plan(snapshot)
    if planned.build.errors or planned.plan.has_changes or planned.rollouts:
        return
    mark(store, key, plan_json(planned), plan_text(planned))


def _terraform_step(store: Any) -> Any:
    """Terraform units go to goldenpath.yaml's provisioning repository, with the forge
    client of ``GOLDENPATH_FORGE_*`` (as ``serve``), mirrored under .goldenpath/repos/."""
    import os
    from pathlib import Path

    import httpx
    import structlog

    from reconciler.forges import ForgeSettings, SettingsError
    from reconciler.provisioning.forge import forge_for
    from reconciler.provisioning.step import TerraformStep

    try:
        settings = ForgeSettings.from_env(os.environ)
    except SettingsError as exc:  # apply itself needs no forge: say so, push the branch
        structlog.get_logger(__name__).warning("apply.no_forge", error=str(exc))
        settings = ForgeSettings()
    return TerraformStep(
        store,
        Path(".goldenpath") / "repos" / "provisioning",
        forge_for(settings, httpx.Client(timeout=30.0)),
        link=settings.commit_link,
    )


def _all_noop(plan: dict[str, Any]) -> bool:
    return not plan.get("errors") and all(u["action"] == "noop" for u in plan["units"])


def _say_unchanged(plan: dict[str, Any], output: str) -> None:
    import sys

    from goldenpath.noop_mark import say_json

    units = sorted(u["id"] for u in plan["units"])
    if output == "json":
        say_json(
            {
                "revision": plan["revision"],
                "passes": 0,
                "ok": True,
                "units": [
                    {"id": u, "outcome": "unchanged", "reason": "UpToDate", "message": "up to date"}
                    for u in units
                ],
                "errors": [],
            }
        )
        return
    sys.stdout.write(
        f"apply: 0 applied, {len(units)} up to date, 0 failed, 0 blocked, 0 denied, 0 to retry\n"
    )
