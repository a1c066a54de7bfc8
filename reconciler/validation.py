"""``validate``: everything that can be known about a snapshot without a cloud.

Schemas, bundles, versions, compatibility, access, rendering, guardrails (the policies of
``policies/``, with ``guardrails`` settings) and, optionally, cfn-lint.
Rendering runs in dependency order. Without lint, outputs of dependencies are visible
placeholders; with lint they are synthesized in AWS formats from the dependency's own
template, because cfn-lint judges values by their format. Every unit is rendered before
any is linted, so that the bodies can be linted all at once (in a pool of processes).

With a content memo, what a unit's checks found is kept under its service key (see
``reconciler.desired.reuse``): a unit whose inputs have not changed is not rendered or
linted again. The memo also keeps the last validation: when the build was redone from
the last one (``reconciler.desired.incremental``), only the units it built again are
looked at, and every other unit's findings are the last validation's, as they stand.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Protocol

from reconciler.desired.build import Build, build_desired
from reconciler.desired.incremental import build_reusing
from reconciler.desired.rendering import (
    OutputSource,
    RenderedUnit,
    SynthesizedOutputs,
    pending_source,
    render_unit,
)
from reconciler.desired.units import Unit
from reconciler.errors import Problem, RenderError
from reconciler.guardrails import Guardrails, GuardrailSettings, Verdict, verdict_problems
from reconciler.render import Linter, Renderer
from reconciler.source.snapshot import Snapshot
from reconciler.specs.codec import problem_json, problem_of
from reconciler.specs.memo import ContentMemo
from reconciler.terraform.checks import TerraformFmt, terraform_problems


@dataclass
class Validation:
    build: Build
    rendered: dict[str, RenderedUnit] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # Unit id → what cfn-lint found in its rendered body (units rendered this run).
    linted: dict[str, tuple[Problem, ...]] = field(default_factory=dict)
    # Unit id → what the guardrails said of its rendered body (units rendered this run).
    verdicts: dict[str, Verdict] = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def ok(self) -> bool:
        return not self.errors


# Memo namespace: a unit's render (and lint) problems, and its synthesized outputs.
CHECKED_UNITS = "checked-units"
# Memo slot: the last validation (live only), the base of the next one's delta.
LAST_VALIDATION = "last-validation"


# Bodies to lint ahead, all at once: (body, suppressed checks, region, template file).
LintJob = tuple[str, tuple[str, ...], str, str]


class LintAhead(Protocol):
    """Lints many bodies at once (a process pool) and fills the linter's cache."""

    def __call__(self, linter: Linter, jobs: Sequence[LintJob]) -> None: ...


def validate_snapshot(
    snapshot: Snapshot,
    *,
    renderer: Renderer,
    linter: Linter | None = None,
    only: Collection[str] | None = None,
    memo: ContentMemo | None = None,
    lint_ahead: LintAhead | None = None,
    guardrails: GuardrailSettings | None = None,
    terraform_fmt: TerraformFmt | None = None,
) -> Validation:
    """Validate ``snapshot``; ``only`` restricts rendering to some unit ids (and their deps).

    With a ``memo``, a unit whose inputs are unchanged since an earlier validation (its
    service key, see ``reconciler.desired.reuse``) is neither rendered nor linted again:
    its problems come from the memo, and it is absent from ``rendered``. When the memo
    holds the last validation and the build was redone from the build it checked, only
    the units built again are even looked up. Units are all rendered first, then
    linted, so that ``lint_ahead`` can lint them in parallel. With ``guardrails``, every
    rendered body is checked against the policies of ``policies/`` (see
    ``reconciler.guardrails``), and the exceptions of goldenpath.yaml are checked too.
    Terraform folders are parsed, and checked by ``terraform_fmt`` where given
    (``reconciler.terraform.checks``).
    """
    if memo is None:
        build = build_desired(snapshot)
        guard = _guard(snapshot, build, guardrails)
        result = _validate(build, renderer, linter, only, lint_ahead, guard=guard)
        result.problems += terraform_problems(build, terraform_fmt)
        return result
    rebuilt = build_reusing(snapshot, memo)
    guard = _guard(snapshot, rebuilt.build, guardrails)
    mode = _mode(linter is not None, guard)
    last = memo.take_base(LAST_VALIDATION)
    base = None
    if (
        only is None
        and isinstance(last, _Base)
        and rebuilt.since is not None
        and last.build is rebuilt.since
        and last.mode == mode
    ):
        base = last
    found = _Found.since(base, rebuilt.build, mode, rebuilt.changed, memo)
    result = _validate(rebuilt.build, renderer, linter, only, lint_ahead, found, memo, guard)
    if only is None:
        memo.set_base(LAST_VALIDATION, found.as_base(rebuilt.token, mode))
    result.problems += terraform_problems(rebuilt.build, terraform_fmt)
    return result


def _validate(
    build: Build,
    renderer: Renderer,
    linter: Linter | None,
    only: Collection[str] | None,
    lint_ahead: LintAhead | None,
    found: _Found | None = None,
    memo: ContentMemo | None = None,
    guard: Guardrails | None = None,
) -> Validation:
    """Check the units ``found`` lacks (every unit, without one), in dependency order."""
    result = Validation(build, problems=list(build.problems))
    if guard is not None:
        result.problems += guard.problems
    found = found if found is not None else _Found.none(build)
    wanted = _with_dependencies(build, only) if only is not None else None
    todo = [u for u in found.todo if wanted is None or u in wanted]
    known = (
        memo.fetch(CHECKED_UNITS, [found.keys[u] for u in todo if u in found.keys], _checked_of)
        if memo is not None
        else {}
    )
    outputs: OutputSource = found.outputs if linter is not None else pending_source({})
    for unit_id in todo:
        key = found.keys.get(unit_id)
        checked = known.get(key) if key is not None else None
        if checked is None:
            unit = build.state.units[unit_id]
            checked = _render(
                unit, build, renderer, outputs, result, linter is not None, guard is not None
            )
        found.checked[unit_id] = checked
    if linter is not None:
        _lint(result, linter, lint_ahead)
    guarded = _guarded(result, guard) if guard is not None else {}
    for unit_id in todo:
        checked = found.checked[unit_id]
        if unit_id in result.rendered:
            more = result.linted.get(unit_id, ()) + guarded.get(unit_id, ())
            checked = _Checked(checked.problems + more, checked.outputs)
            found.checked[unit_id] = checked
        key = found.keys.get(unit_id)
        if memo is not None and key is not None and key not in known:
            memo.put(CHECKED_UNITS, key, checked, _checked_json)
        if checked.problems:
            found.noted.add(unit_id)
    result.problems += found.problems(wanted)
    return result


@dataclass
class _Found:
    """What the checks of each unit found: taken over from the last validation, or to do.

    ``todo`` are the units to check, in dependency order; ``checked`` fills as they are.
    """

    order: tuple[str, ...]
    position: dict[str, int]
    keys: dict[str, str]  # unit id → its memo key
    checked: dict[str, _Checked]
    noted: set[str]  # units whose checks found problems
    todo: list[str]

    @classmethod
    def none(cls, build: Build) -> _Found:
        order = build.state.order
        return cls(order, {}, {}, {}, set(), list(order))

    @classmethod
    def since(
        cls,
        base: _Base | None,
        build: Build,
        mode: str,
        changed: Collection[str],
        memo: ContentMemo,
    ) -> _Found:
        """From ``base`` when the build was redone from the one it validated."""
        order = build.state.order
        if base is None:
            # The unit key already covers what the unit is built from; the mode is what else.
            keys = {u: f"{k}/{mode}/{u}" for u, k in build.unit_keys.items()}
            position = {u: i for i, u in enumerate(order)}
            return cls(order, position, keys, {}, set(), list(order))
        position = base.position if order is base.order else {u: i for i, u in enumerate(order)}
        keys, checked, noted = base.keys, base.checked, base.noted  # taken: changed in place
        memo.carry_over(CHECKED_UNITS, [keys.pop(u) for u in changed if u in keys])
        for unit_id in changed:
            checked.pop(unit_id, None)
            noted.discard(unit_id)
            key = build.unit_keys.get(unit_id)
            if key is not None:
                keys[unit_id] = f"{key}/{mode}/{unit_id}"
        todo = sorted((u for u in changed if u in position), key=position.__getitem__)
        return cls(order, position, keys, checked, noted, todo)

    def outputs(self, unit_id: str) -> Mapping[str, Any] | None:
        """The outputs synthesized for ``unit_id``, for its dependants' lint."""
        checked = self.checked.get(unit_id)
        return checked.outputs if checked is not None else None

    def problems(self, wanted: Collection[str] | None) -> list[Problem]:
        """The units' problems, in dependency order."""
        noted = self.noted if wanted is None else [u for u in self.noted if u in wanted]
        if self.position:
            ordered = sorted(noted, key=self.position.__getitem__)
        else:
            ordered = [u for u in self.order if u in noted]
        return [p for u in ordered for p in self.checked[u].problems]

    def as_base(self, build: object, mode: str) -> _Base:
        return _Base(build, mode, self.order, self.position, self.keys, self.checked, self.noted)


@dataclass(frozen=True)
class _Base:
    """The last validation: the build it checked, how, and what each unit's checks found."""

    build: object  # the token of the build (``Rebuilt.token``)
    mode: str
    order: tuple[str, ...]
    position: dict[str, int]
    keys: dict[str, str]
    checked: dict[str, _Checked]
    noted: set[str]


@dataclass(frozen=True)
class _Checked:
    """What validating one unit found, and what its dependants read (with lint)."""

    problems: tuple[Problem, ...]
    outputs: Mapping[str, str] | None = None


def _render(
    unit: Unit,
    build: Build,
    renderer: Renderer,
    outputs: OutputSource,
    result: Validation,
    synthesize: bool,
    guarded: bool = False,
) -> _Checked:
    try:
        # Without lint or guardrails the body goes nowhere: data templates are only
        # checked to parse. Guardrails judge the body as it would be deployed.
        retain = synthesize or guarded
        rendered = render_unit(unit, build.state, renderer, outputs, retain=retain)
    except RenderError as exc:
        p = exc.problem
        return _Checked((Problem(p.file, p.line, unit.id, p.message),))
    result.rendered[unit.id] = rendered
    if not synthesize:
        return _Checked(())
    # Outputs made up from the body, in AWS formats, for the dependants' lint.
    synthesized = SynthesizedOutputs()
    synthesized.record(rendered)
    return _Checked((), synthesized.values.get(unit.id, {}))


def _lint(result: Validation, linter: Linter, lint_ahead: LintAhead | None) -> None:
    ignore = result.build.specs.platform.lint_ignore_checks
    # Terraform units are files for Terraform, not stacks: cfn-lint has nothing to read.
    stacks = [r for r in result.rendered.values() if r.terraform is None]
    jobs = [(r.body, ignore, r.unit.target.region, _template(r.unit)) for r in stacks]
    if lint_ahead is not None and jobs:
        lint_ahead(linter, jobs)
    for (body, _ignore, region, template), rendered in zip(jobs, stacks, strict=True):
        report = linter.lint(body, file=template, ignore_checks=ignore, regions=(region,))
        result.linted[rendered.unit.id] = tuple(
            Problem(
                p.file, p.line, rendered.unit.id, f"rendered line {p.line}: {p.message}", p.severity
            )
            for p in (*report.errors, *report.warnings)
        )


def _guard(
    snapshot: Snapshot, build: Build, settings: GuardrailSettings | None
) -> Guardrails | None:
    return settings.of_repo(snapshot.files, build.specs.platform) if settings else None


def _guarded(result: Validation, guard: Guardrails) -> dict[str, tuple[Problem, ...]]:
    """What the guardrails found in each body rendered this run, as problems.

    When the policies cannot be used at all, that is said once (``guard.problems``), not
    once per unit.
    """
    guard.prefetch(result.rendered.values())
    found = {}
    for unit_id, rendered in result.rendered.items():
        verdict = guard.check(rendered)
        result.verdicts[unit_id] = verdict
        if guard.failure is None and verdict.noteworthy:
            found[unit_id] = verdict_problems(verdict, rendered)
    return found


def _template(unit: Unit) -> str:
    return unit.bundle.infrastructure[unit.infrastructure].path


def _mode(lint: bool, guard: Guardrails | None = None) -> str:
    """What else a unit's checks depend on: whether, and with which cfn-lint, it is
    linted; the guardrails' policy revision and the exceptions in force."""
    guarded = f"/guardrails:{guard.revision}" if guard is not None else ""
    if not lint:
        return "render" + guarded
    try:
        return f"lint:{metadata.version('cfn-lint')}{guarded}"
    except metadata.PackageNotFoundError:
        return "lint:unknown" + guarded


def _checked_json(checked: _Checked) -> Any:
    return [[problem_json(p) for p in checked.problems], checked.outputs]


def _checked_of(data: Any) -> _Checked:
    return _Checked(tuple(problem_of(p) for p in data[0]), data[1])


def _with_dependencies(build: Build, only: Collection[str]) -> set[str]:
    wanted: set[str] = set()
    stack = list(only)
    while stack:
        unit_id = stack.pop()
        if unit_id in wanted or unit_id not in build.state.units:
            continue
        wanted.add(unit_id)
        stack.extend(build.state.units[unit_id].depends_on)
    return wanted
