"""Desired state against recorded (and, with --refresh, live) state: one action per unit.

Units are visited in dependency order. A unit renders with the outputs its dependencies
have now; where a dependency is not deployed yet its outputs are "known after apply",
and apply renders the unit again once they are. Nothing is deleted when the desired
state is incomplete (the repo has errors, or no environments at all), nor where
``goldenpath.yaml`` does not allow pruning that kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from reconciler.desired.render_memo import RenderMemo
from reconciler.desired.rendering import OutputSource, RenderedUnit, render_unit
from reconciler.desired.units import DesiredState, Unit, stack_name
from reconciler.errors import RenderError
from reconciler.plan import adoption
from reconciler.plan.files import WrittenFiles, carried_secrets, file_changes
from reconciler.plan.model import Action, Existing, Live, Plan, Recorded, UnitPlan
from reconciler.render import PendingOutputs, Renderer
from reconciler.specs.model import Account, PruneRules

# Live statuses in which a stack no longer exists as far as a plan is concerned.
_GONE = {"DELETE_COMPLETE"}


def make_plan(
    desired: DesiredState,
    recorded: Mapping[str, Recorded],
    *,
    renderer: Renderer,
    prune: PruneRules,
    live: Mapping[str, Live | None] | None = None,
    renders: RenderMemo | None = None,
    existing: Mapping[str, Existing | None] | None = None,
    written: WrittenFiles | None = None,
) -> Plan:
    """Each unit's action against its record. ``renders``: the renders of earlier plans,
    kept by a long-running process; a unit whose inputs did not change is not rendered
    again. ``existing``: the stacks that units to adopt name, as read from the cloud
    (``None`` in it: not found); without it, adoption is planned without knowing them.
    ``written``: the files last written for a Terraform unit's recorded fingerprint, for
    its file-level diff (``plan.files``)."""
    planner = _Planner(desired, recorded, renderer, live, renders, existing)
    planner.written = written
    planner.invalid()
    for unit_id in desired.order:
        planner.visit(desired.units[unit_id])
    planner.deletions(prune)
    if renders is not None:
        renders.end_plan()
    return Plan(desired.revision, tuple(planner.plans))


class _Planner:
    def __init__(
        self,
        desired: DesiredState,
        recorded: Mapping[str, Recorded],
        renderer: Renderer,
        live: Mapping[str, Live | None] | None,
        renders: RenderMemo | None = None,
        existing: Mapping[str, Existing | None] | None = None,
    ) -> None:
        self.renders = renders
        self.existing = existing or {}
        self.desired = desired
        self.recorded = recorded
        self.renderer = renderer
        self.live = live
        self.plans: list[UnitPlan] = []
        self.by_id: dict[str, UnitPlan] = {}
        self.written: WrittenFiles | None = None
        # Terraform units have no stack: what a describe says of their "stack" is nothing.
        self.terraform = {u.id for u in desired.units.values() if u.is_terraform}

    def outputs(self, unit_id: str) -> Mapping[str, str] | None:
        found_stack = self.existing.get(unit_id)
        if found_stack is not None and self._adopting(unit_id):
            return dict(found_stack.outputs)  # the stack it adopts has them already
        if self.live is not None and unit_id in self.live and unit_id not in self.terraform:
            found = self.live[unit_id]
            return dict(found.outputs) if found is not None else None
        record = self.recorded.get(unit_id)
        plan = self.by_id.get(unit_id)
        # A unit never applied successfully has no outputs yet, not empty ones.
        if record is None or record.fingerprint is None:
            return None
        if plan is not None and plan.action == "create":
            return None
        return dict(record.outputs)

    def add(self, plan: UnitPlan) -> None:
        self.plans.append(plan)
        self.by_id[plan.unit_id] = plan

    def visit(self, unit: Unit) -> None:
        record = self.recorded.get(unit.id)
        base = UnitPlan(
            unit.id,
            unit.kind,
            "noop",
            "",
            unit.stack_name,
            unit.target,
            from_version=record.version if record else None,
            to_version=unit.version.version,
            template=unit.template,
            depends_on=unit.depends_on,
            recorded_fingerprint=record.fingerprint if record else None,
        )
        if unit.id in self.desired.denied:
            self.add(_with(base, "denied", self.desired.denied[unit.id]))
            return
        stuck = [
            d
            for d in unit.depends_on
            if self.by_id.get(d) is not None
            and self.by_id[d].action in ("blocked", "denied")
            and self.outputs(d) is None
        ]
        if stuck:
            self.add(
                _with(base, "blocked", f"waits for {', '.join(stuck)}, which cannot be applied")
            )
            return
        source: OutputSource = self._source()
        try:
            if self.renders is not None:
                rendered = self.renders.render(unit, self.desired, self.renderer, source)
            else:
                rendered = render_unit(unit, self.desired, self.renderer, source)
        except RenderError as exc:
            self.add(_with(base, "blocked", f"render error: {exc}"))
            return
        if unit.is_terraform:
            self.add(self._terraform(unit, base, rendered, record))
            return
        self.add(self._decide(unit, base, rendered, record))

    def _terraform(
        self, unit: Unit, base: UnitPlan, rendered: RenderedUnit, record: Recorded | None
    ) -> UnitPlan:
        """A Terraform unit: decided like a stack on its fingerprint, never by a live
        stack, and shown at file level."""
        base = replace(base, platform="terraform")
        if unit.external:
            why = "a Terraform unit has no CloudFormation stack to adopt (remove stackName)"
            return _with(base, "blocked", why)
        saved, self.live = self.live, None
        try:
            plan = self._decide(unit, base, rendered, record)
        finally:
            self.live = saved
        if plan.action not in ("create", "update") or rendered.terraform is None:
            return replace(plan, files=())
        if rendered.pending:
            return replace(plan, files=None)  # its variable files wait for those outputs
        before: Mapping[str, str] | None = {}
        if record is not None and record.fingerprint is not None:
            before = self.written(record.fingerprint) if self.written is not None else None
        if before is None:
            return replace(plan, files=None)
        secrets = carried_secrets(unit, self.desired)
        return replace(plan, files=file_changes(rendered.terraform.files, before, secrets))

    def _source(self) -> OutputSource:
        def lookup(unit_id: str) -> Mapping[str, str]:
            found = self.outputs(unit_id)
            return found if found is not None else PendingOutputs(unit_id)

        return lookup

    def _decide(
        self, unit: Unit, base: UnitPlan, rendered: RenderedUnit, record: Recorded | None
    ) -> UnitPlan:
        fingerprint = None if rendered.pending else rendered.fingerprint()
        known = tuple(rendered.pending)
        retained = tuple(f"{r.logical_id} ({r.type}, {r.policy})" for r in rendered.retained)
        plan = replace(
            base,
            fingerprint=fingerprint,
            rendered=rendered,
            known_after_apply=known,
            retained=retained,
        )
        live = self.live.get(unit.id, _Unknown) if self.live is not None else _Unknown
        if record is not None and record.stack_id and record.stack_name != unit.stack_name:
            return _with(
                plan,
                "blocked",
                f"its stack is {record.stack_name}, but the spec now names "
                f"{unit.stack_name}: changing a deployed unit's stack name would orphan "
                f"{record.stack_name}; put back stackName {record.stack_name}",
            )
        if unit.external and (record is None or record.fingerprint is None):
            if (
                record is not None
                and record.stalled_fingerprint is not None
                and record.stack_name == unit.stack_name
                and fingerprint == record.stalled_fingerprint
            ):
                return _with(
                    plan, "blocked", f"stalled: {record.stalled_message}; commit a fix to try again"
                )
            return self._adopt(unit, plan, fingerprint, rendered)
        if record is None:
            return _with(plan, "create", f"new {unit.kind}" + _after(known))
        if record.fingerprint is not None and (
            live is None or (isinstance(live, Live) and live.status in _GONE)
        ):
            if unit.external:
                return _with(
                    plan,
                    "blocked",
                    f"the adopted stack {unit.stack_name} was deleted outside Goldenpath; "
                    "a stack named by stackName is never created again",
                )
            return _with(plan, "create", "the stack was deleted outside Goldenpath" + _after(known))
        # Before "never applied": a first create that failed waits for a fix like any other.
        if record.stalled_fingerprint is not None and (
            fingerprint is None or fingerprint == record.stalled_fingerprint
        ):
            return _with(
                plan, "blocked", f"stalled: {record.stalled_message}; commit a fix to try again"
            )
        if record.fingerprint is None:
            return _with(plan, "create", "never applied successfully" + _after(known))
        if isinstance(live, Live) and live.drift is not None:
            why = f"drifted ({live.drift}); applied again from git"
            return replace(_with(plan, "update", why + _after(known)), heal=True)
        if isinstance(live, Live) and _changed_outside(live, record):
            return _with(plan, "update", "the stack was changed outside Goldenpath")
        if fingerprint is not None and fingerprint == record.fingerprint:
            return _with(plan, "noop", "up to date")
        if record.version != unit.version.version and unit.kind == "component":
            return _with(
                plan,
                "update",
                f"component {unit.component} changed ({unit.template}: {record.version} → "
                f"{unit.version.version})" + _after(known),
            )
        if record.version != unit.version.version:
            return _with(
                plan,
                "update",
                f"template {unit.template} {record.version} → "
                f"{unit.version.version}" + _after(known),
            )
        return _with(plan, "update", "rendered template changed" + _after(known))

    def _adopting(self, unit_id: str) -> bool:
        unit = self.desired.units.get(unit_id)
        record = self.recorded.get(unit_id)
        return unit is not None and unit.external and (record is None or record.fingerprint is None)

    def _adopt(
        self, unit: Unit, plan: UnitPlan, fingerprint: str | None, rendered: RenderedUnit
    ) -> UnitPlan:
        """A unit that names a stack and has never been applied: take the stack over."""
        target = f"{unit.target.id}/{unit.target.region}"
        if unit.id not in self.existing:
            return _with(
                plan,
                "adopt",
                f"adopt stack {unit.stack_name} in {target}; what adopting changes is "
                "known once the live stack is read (apply, or plan with credentials)",
            )
        found = self.existing[unit.id]
        plan = replace(plan, existing=found)
        if found is None:
            return _with(plan, "blocked", adoption.not_found(unit.stack_name, *target.split("/")))
        problem = adoption.status_problem(unit.stack_name, found.status)
        if problem is not None:
            return _with(plan, "blocked", problem)
        if fingerprint is None:
            return _with(
                plan, "adopt", f"adopt stack {unit.stack_name}" + _after(plan.known_after_apply)
            )
        compared = adoption.compare(found.body, rendered.body)
        if compared.error is not None:
            return _with(plan, "blocked", f"stack {unit.stack_name}: {compared.error}")
        if compared.same:
            return _with(plan, "adopt", "adopt, no changes")
        stopping = adoption.blocking(compared.changes)
        plan = plan.with_changes(compared.changes)
        if stopping:
            why = adoption.describe_blocking(stopping, holds_data=unit.holds_data)
            return _with(plan, "blocked", why)
        changed = adoption.describe_changes(compared.changes, compared.sections)
        return _with(plan, "adopt", f"adopt, then update in place: {changed}")

    def invalid(self) -> None:
        """Units whose spec has errors: blocked, and kept as they are (never deleted)."""
        for unit_id, why in sorted(self.desired.invalid.items()):
            record = self.recorded.get(unit_id)
            kind = unit_id.split("/", 1)[0]
            target = Account(record.account, record.region) if record else Account("", "")
            self.add(
                UnitPlan(
                    unit_id,
                    kind,
                    "blocked",
                    f"invalid spec: {why}",
                    record.stack_name if record else stack_name(unit_id),
                    target,
                    from_version=record.version if record else None,
                    template=record.template if record else None,
                )
            )

    def deletions(self, prune: PruneRules) -> None:
        gone = [
            r
            for uid, r in sorted(self.recorded.items())
            if uid not in self.desired.units and uid not in self.desired.invalid
        ]
        # Dependants go first: a pipeline before its instances, an instance before the
        # components it reads, all of them before the environment.
        rank = {"pipeline": 0, "service": 1, "component": 2, "environment": 3}
        for record in sorted(gone, key=lambda r: (rank.get(r.kind, 9), r.id)):
            target = Account(record.account, record.region)
            base = UnitPlan(
                record.id,
                record.kind,
                "delete",
                "",
                record.stack_name,
                target,
                from_version=record.version,
                template=record.template,
                # A Terraform unit is recorded without a stack name: it has no stack.
                platform="cloudformation" if record.stack_name else "terraform",
            )
            if self.desired.incomplete:
                self.add(
                    _with(
                        base,
                        "blocked",
                        "its spec is gone, but the repo has errors or no environments; "
                        "nothing is deleted until they are fixed",
                    )
                )
            elif not getattr(prune, record.kind, False):
                self.add(
                    _with(
                        base,
                        "denied",
                        f"its spec is gone, but goldenpath.yaml does not allow pruning "
                        f"({record.kind}); the stack is kept",
                    )
                )
            elif users := self._still_used(record.id):
                self.add(_with(base, "blocked", f"still used by {', '.join(users)}"))
            else:
                why = "its spec is gone"
                if record.holds_data:
                    why += "; data resources are kept (DeletionPolicy Retain/Snapshot)"
                self.add(_with(base, "delete", why))

    def _still_used(self, unit_id: str) -> list[str]:
        return [u.id for u in self.desired.units.values() if unit_id in u.depends_on]


class _UnknownType:
    pass


_Unknown = _UnknownType()


def _with(plan: UnitPlan, action: Action, reason: str) -> UnitPlan:
    return replace(plan, action=action, reason=reason)


def _after(known: tuple[str, ...]) -> str:
    return f" (inputs known after apply of {', '.join(known)})" if known else ""


def _changed_outside(live: Live, record: Recorded) -> bool:
    if live.last_updated is None or record.updated_at is None:
        return False
    return live.last_updated > record.updated_at
