"""The reconciler: plan a snapshot against the state store, and apply it.

``apply`` first resumes what a killed process left in flight (the journal says what was
issued), then plans and applies. An automatic rollout moves one wave per pass; apply
plans again after each pass until nothing more moves, a wave fails, or nothing changes.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

import structlog

from reconciler.apply.adopting import look_up
from reconciler.apply.conditions import Outcome
from reconciler.apply.executor import ApplyReport, ApplySettings, Executor, Progress
from reconciler.apply.holders import holder_name
from reconciler.apply.records import recorded_views
from reconciler.apply.roles import known_roles, reachable
from reconciler.apply.rollouts import save_rollouts
from reconciler.apply.stack_ops import StackOps, request_of, target_of
from reconciler.caching import RECOMMENDED, TERRAFORM_FILES
from reconciler.cloud import SYSTEM_CLOCK, Clock, Cloud, ResourceChange, Target
from reconciler.desired.render_memo import RenderMemo
from reconciler.desired.units import TAG_PREFIX, DesiredState, Unit
from reconciler.errors import CloudError, Waiting
from reconciler.guardrails import GuardrailSettings, MemoryVerdictCache, VerdictCache
from reconciler.plan.adoption import kept_tags, previewed_adoption
from reconciler.plan.files import carried_secrets, stored_form
from reconciler.plan.model import Existing, Live, Plan, Recorded
from reconciler.plan.model import ResourceChange as PlannedChange
from reconciler.plan.planning import Planned, plan_snapshot
from reconciler.provisioning.step import TerraformStep
from reconciler.render import Linter, Renderer
from reconciler.report.guardrails import save_notes
from reconciler.source.snapshot import Snapshot
from reconciler.specs.loader import load_specs
from reconciler.specs.memo import ContentMemo
from reconciler.state import StateStore

log = structlog.get_logger(__name__)
# Passes of plan-then-apply in one apply: enough for every wave of a long rollout order.
MAX_PASSES = 12


@dataclass
class Applied:
    planned: Planned
    report: ApplyReport = field(default_factory=ApplyReport)
    passes: int = 0


class Reconciler:
    def __init__(
        self,
        store: StateStore,
        cloud: Cloud,
        *,
        renderer: Renderer | None = None,
        linter: Linter | None = None,
        settings: ApplySettings | None = None,
        holder: str | None = None,
        progress: Progress | None = None,
        stop: threading.Event | None = None,
        clock: Clock = SYSTEM_CLOCK,
        memo: ContentMemo | None = None,
        verdicts: VerdictCache | None = None,
        today: Callable[[], date] | None = None,
        terraform: TerraformStep | None = None,
    ) -> None:
        self.store = store
        self.cloud = cloud
        self.renderer = renderer or Renderer()
        self.linter = linter
        self.settings = settings or ApplySettings()
        self.holder = holder or holder_name()
        self.progress = progress
        self.stop = stop or threading.Event()
        self.clock = clock  # paces re-sent calls (tests pass a fake one)
        # A long-running process keeps one between plans (see plan_snapshot); one thread
        # plans at a time.
        self.memo = memo
        self.renders = RenderMemo() if memo is not None else None
        # Guardrails: what the policies said of each body (kept for the process's life),
        # and the day their exceptions are judged on (the state store's clock by default).
        self.verdicts: VerdictCache = verdicts if verdicts is not None else MemoryVerdictCache()
        self.today = today or (lambda: self.store.now().date())
        # Terraform units go to the provisioning repository; None: they are refused.
        self.terraform = terraform

    def plan(
        self,
        snapshot: Snapshot,
        *,
        refresh: bool = False,
        preview: bool = False,
        read: bool | None = None,
    ) -> Planned:
        """Desired against recorded state; with ``refresh`` against live stacks too.

        ``read``: read the stacks of units to adopt (by default when the cloud is asked
        anyway, with ``refresh`` or ``preview``); without, adoption is planned unseen.
        """
        if read is None:
            read = refresh or preview
        return self._plan(snapshot, refresh=refresh, preview=preview, read=read, record=False)[0]

    def _plan(
        self,
        snapshot: Snapshot,
        *,
        refresh: bool = False,
        preview: bool = False,
        read: bool = True,
        record: bool = True,
        heal: Mapping[str, Live | None] | None = None,
    ) -> tuple[Planned, dict[str, str | None]]:
        """The plan, and the role of every account it may touch. ``read``: read the
        stacks of units to adopt. ``record``: remember the snapshot's account roles and
        recommended versions; only an apply does, so a plan of any other ref (a feature
        branch, an old commit) leaves what ``status`` shows as it was. ``heal``: drifted
        stacks to apply again from git."""
        records = self.store.units()
        recorded = recorded_views(self.store, records)
        accounts = {r.account for r in records}
        live = None
        if refresh:
            specs, _problems = load_specs(snapshot.files)
            live = self._live(recorded, known_roles(self.store, specs, accounts, record=False))
        if heal:
            live = {**(live or {}), **heal}
        planned = plan_snapshot(
            snapshot,
            recorded,
            renderer=self.renderer,
            live=live,
            memo=self.memo,
            renders=self.renders,
            look_up=self._look_up if read else None,
            guardrails=GuardrailSettings(self.today(), self.verdicts),
            written=self._written,
        )
        self._keep_written(planned.plan, planned.build.state)
        roles = known_roles(self.store, planned.build.specs, accounts, record=record)
        planned = replace(planned, plan=reachable(planned.plan, roles))
        if record:
            self._record_recommended(planned)
        if preview:
            planned = replace(planned, plan=self._previewed(planned.plan))
        return planned, roles

    def apply(
        self,
        snapshot: Snapshot,
        on_planned: Callable[[Planned], None] | None = None,
        *,
        heal: Mapping[str, Live | None] | None = None,
    ) -> Applied:
        """Make the cloud match ``snapshot``, in passes while a rollout moves on.

        ``on_planned`` sees each pass's plan before its first stack call (``apply`` queues
        the bodies it will deploy for linting there). ``heal``: drifted stacks to apply
        again from git in the first pass (``None`` in it: deleted, to create again), as
        the drift watch finds them (``reconciler.drift``).
        """
        ops = StackOps(
            self.store, self.cloud, self.linter, (), retry=self.settings.retry, clock=self.clock
        )
        journal = self.store.in_flight()
        applied: Applied | None = None
        for number in range(1, MAX_PASSES + 1):
            planned, roles = self._plan(snapshot, heal=heal if number == 1 else None)
            if on_planned is not None:
                on_planned(planned)
            ops.ignore_checks = planned.build.specs.platform.lint_ignore_checks
            ops.guardrails = planned.guard
            ops.platform = planned.build.specs.platform
            executor = Executor(
                store=self.store,
                ops=ops,
                renderer=self.renderer,
                holder=self.holder,
                settings=self.settings,
                progress=self.progress,
                stop=self.stop,
            )
            terraform = self.terraform.units(planned) if self.terraform else set()
            settled = self.terraform.presettled(planned, terraform) if self.terraform else {}
            report = executor.run(planned.plan, planned.build.state, roles, journal, settled)
            if self.terraform is not None and terraform:
                report.outcomes.update(
                    self.terraform.apply(planned, terraform, report.outcomes, executor.outputs.get)
                )
            journal = []
            if applied is None:
                applied = Applied(planned, report, number)
            else:
                applied.report.outcomes.update(
                    {
                        k: v
                        for k, v in report.outcomes.items()
                        if v.kind != "unchanged" or k not in applied.report.outcomes
                    }
                )
                applied.planned, applied.passes = planned, number
            save_rollouts(self.store, planned)
            moved = (
                set().union(*(r.moving for r in planned.rollouts)) if planned.rollouts else set()
            )
            # The next wave goes when this one's units all made it; a failure elsewhere in
            # the repo does not hold a rollout back.
            landed = all(report.outcomes.get(u, _MISSING).kind == "applied" for u in moved)
            if not moved or not landed or self.stop.is_set():
                break
        assert applied is not None
        save_notes(self.store, applied.planned.verdicts)
        if any(r.moving for r in applied.planned.rollouts):
            # The last pass moved units: record how that went.
            save_rollouts(self.store, self.plan(snapshot))
        return applied

    def _live(
        self, recorded: Mapping[str, Recorded], roles: Mapping[str, str | None]
    ) -> dict[str, Live | None]:
        """One batched describe per account and region (a page per 100 stacks).

        Stacks in an account with no known role are left out: asking with other
        credentials would wrongly find them gone.
        """
        by_target: dict[Target, list[tuple[str, str]]] = {}
        for unit_id, record in recorded.items():
            if record.account not in roles or not record.stack_name:
                continue  # no role to ask with, or no stack to ask about (Terraform)
            target = Target(record.account, record.region, roles[record.account])
            by_target.setdefault(target, []).append((unit_id, record.stack_name))
        live: dict[str, Live | None] = {}
        for target, pairs in by_target.items():
            states = self.cloud.describe(target, [name for _u, name in pairs])
            for unit_id, name in pairs:
                state = states.get(name)
                live[unit_id] = (
                    Live(state.status, dict(state.outputs), state.last_updated)
                    if state is not None
                    else None
                )
        return live

    def _written(self, fingerprint: str) -> Mapping[str, str] | None:
        """The files a Terraform unit was planned with under ``fingerprint`` (its
        file-level diff is against them), or None when no plan here kept them."""
        found = self.store.cache_get(TERRAFORM_FILES, fingerprint)
        return found if isinstance(found, dict) else None

    def _keep_written(self, plan: Plan, desired: DesiredState) -> None:
        """Keep the files of each Terraform unit planned to change, by fingerprint, so
        that a later plan shows what changes in them (content-addressed: never stale)."""
        kept = {
            item.fingerprint: stored_form(
                item.rendered.terraform.files, carried_secrets(item.rendered.unit, desired)
            )
            for item in plan.units
            if item.action in ("create", "update")
            and item.fingerprint is not None
            and item.rendered is not None
            and item.rendered.terraform is not None
        }
        if kept:
            self.store.cache_put_many(TERRAFORM_FILES, kept)

    def _look_up(self, units: Sequence[Unit]) -> Mapping[str, Existing | None]:
        """The stacks of units to adopt; unread (left out) where the cloud cannot say."""
        try:
            return look_up(self.cloud, units)
        except (CloudError, Waiting) as exc:
            log.warning("plan.adoption_lookup_failed", error=str(exc))
            return {}

    def _previewed(self, plan: Plan) -> Plan:
        """Attach CloudFormation's resource changes to each update (change sets, cleaned up).

        An adoption that would change the stack is previewed too, and blocked where the
        change set says a resource would be replaced.
        """
        units = []
        for item in plan.units:
            adopting = item.action == "adopt" and item.existing is not None and item.changes
            terraform = item.rendered is not None and item.rendered.terraform is not None
            if (
                (item.action == "update" or adopting)
                and item.rendered
                and item.fingerprint
                and not terraform
            ):
                unit = item.rendered.unit
                tags = unit.tags
                if item.existing is not None:
                    tags = kept_tags(item.existing.tags, unit.tags, TAG_PREFIX)
                request = request_of(unit, item.rendered.body, tags)
                name = f"goldenpath-plan-{uuid.uuid4().hex[:12]}"
                try:
                    preview = self.cloud.preview_update(target_of(unit.target), request, name)
                    item = item.with_changes(tuple(_planned(c) for c in preview.changes))
                    if adopting:
                        item = previewed_adoption(item, holds_data=unit.holds_data)
                except (CloudError, Waiting) as exc:
                    log.warning("plan.preview_failed", unit=item.unit_id, error=str(exc))
            units.append(item)
        return Plan(plan.revision, tuple(units), plan.problems)

    def _record_recommended(self, planned: Planned) -> None:
        catalog = planned.build.catalog
        found = {
            name: best.version
            for name in catalog.index.names()
            if (best := catalog.recommended(name)) is not None
        }
        known = self.store.cache_get_many(RECOMMENDED, found)
        changed = {name: v for name, v in found.items() if known.get(name) != v}
        if changed:  # a plan that finds nothing new writes nothing
            self.store.cache_put_many(RECOMMENDED, changed)


_MISSING = Outcome("blocked", "NotReached")


def _planned(change: ResourceChange) -> PlannedChange:
    return PlannedChange(change.logical_id, change.type, change.action, change.replacement)


__all__ = ["Applied", "Outcome", "Reconciler"]
