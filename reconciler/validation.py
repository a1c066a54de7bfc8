"""``validate``: everything that can be known about a snapshot without a cloud.

Schemas, bundles, versions, compatibility, access, rendering and, optionally, cfn-lint.
Rendering runs in dependency order. Without lint, outputs of dependencies are visible
placeholders; with lint they are synthesized in AWS formats from the dependency's own
template, because cfn-lint judges values by their format. Every unit is rendered before
any is linted, so that the bodies can be linted all at once (in a pool of processes).

With a content memo, what a unit's checks found is kept under its service key (see
``reconciler.desired.reuse``): a unit whose inputs have not changed is not rendered or
linted again.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Protocol

from reconciler.desired.build import Build, build_desired
from reconciler.desired.rendering import (
    OutputSource,
    RenderedUnit,
    SynthesizedOutputs,
    pending_source,
    render_unit,
)
from reconciler.desired.units import Unit
from reconciler.errors import Problem, RenderError
from reconciler.render import Linter, Renderer
from reconciler.source.snapshot import Snapshot
from reconciler.specs.codec import problem_json, problem_of
from reconciler.specs.memo import ContentMemo


@dataclass
class Validation:
    build: Build
    rendered: dict[str, RenderedUnit] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # Unit id → what cfn-lint found in its rendered body (units rendered this run).
    linted: dict[str, tuple[Problem, ...]] = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def ok(self) -> bool:
        return not self.errors


# Memo namespace: a unit's render (and lint) problems, and its synthesized outputs.
CHECKED_UNITS = "checked-units"


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
) -> Validation:
    """Validate ``snapshot``; ``only`` restricts rendering to some unit ids (and their deps).

    With a ``memo``, a unit whose inputs are unchanged since an earlier validation (its
    service key, see ``reconciler.desired.reuse``) is neither rendered nor linted again:
    its problems come from the memo, and it is absent from ``rendered``. Units are all
    rendered first, then linted, so that ``lint_ahead`` can lint them in parallel.
    """
    build = build_desired(snapshot, memo=memo)
    result = Validation(build, problems=list(build.problems))
    synthesized = SynthesizedOutputs() if linter is not None else None
    outputs: OutputSource = synthesized if synthesized is not None else pending_source({})
    wanted = _with_dependencies(build, only) if only is not None else None
    mode = _mode(linter is not None)
    # The unit key already covers what the unit is built from; the mode is what else.
    keys = {u: f"{k}/{mode}/{u}" for u, k in build.unit_keys.items()} if memo else {}
    known = memo.fetch(CHECKED_UNITS, keys.values(), _checked_of) if memo else {}
    checked: dict[str, _Checked] = {}
    for unit_id in build.state.order:
        if wanted is not None and unit_id not in wanted:
            continue
        key = keys.get(unit_id)
        found = known.get(key) if key is not None else None
        if found is None:
            unit = build.state.units[unit_id]
            found = _render(unit, build, renderer, outputs, result, synthesized is not None)
        checked[unit_id] = found
        if synthesized is not None and found.outputs is not None:
            synthesized.values[unit_id] = dict(found.outputs)
    if linter is not None:
        _lint(result, linter, lint_ahead)
    for unit_id, found in checked.items():
        if unit_id in result.rendered:
            found = _Checked(found.problems + result.linted.get(unit_id, ()), found.outputs)
        if memo is not None and unit_id in keys and keys[unit_id] not in known:
            memo.put(CHECKED_UNITS, keys[unit_id], found, _checked_json)
        result.problems += found.problems
    return result


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
) -> _Checked:
    try:
        # Without lint the body goes nowhere: data templates are only checked to parse.
        rendered = render_unit(unit, build.state, renderer, outputs, retain=synthesize)
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
    jobs = [
        (r.body, ignore, r.unit.target.region, _template(r.unit)) for r in result.rendered.values()
    ]
    if lint_ahead is not None and jobs:
        lint_ahead(linter, jobs)
    for (body, _ignore, region, template), rendered in zip(
        jobs, result.rendered.values(), strict=True
    ):
        report = linter.lint(body, file=template, ignore_checks=ignore, regions=(region,))
        result.linted[rendered.unit.id] = tuple(
            Problem(
                p.file, p.line, rendered.unit.id, f"rendered line {p.line}: {p.message}", p.severity
            )
            for p in (*report.errors, *report.warnings)
        )


def _template(unit: Unit) -> str:
    return unit.bundle.infrastructure[unit.infrastructure].path


def _mode(lint: bool) -> str:
    """What else a unit's checks depend on: whether, and with which cfn-lint, it is linted."""
    if not lint:
        return "render"
    try:
        return f"lint:{metadata.version('cfn-lint')}"
    except metadata.PackageNotFoundError:
        return "lint:unknown"


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
