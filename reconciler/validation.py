"""``validate``: everything that can be known about a snapshot without a cloud.

Schemas, bundles, versions, compatibility, access, rendering and, optionally, cfn-lint.
Rendering runs in dependency order. Without lint, outputs of dependencies are visible
placeholders; with lint they are synthesized in AWS formats from the dependency's own
template, because cfn-lint judges values by their format.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

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

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def ok(self) -> bool:
        return not self.errors


# Memo namespace: a unit's render (and lint) problems, and its synthesized outputs.
CHECKED_UNITS = "checked-units"


def validate_snapshot(
    snapshot: Snapshot,
    *,
    renderer: Renderer,
    linter: Linter | None = None,
    only: Collection[str] | None = None,
    memo: ContentMemo | None = None,
) -> Validation:
    """Validate ``snapshot``; ``only`` restricts rendering to some unit ids (and their deps).

    With a ``memo``, a unit whose inputs are unchanged since an earlier validation (its
    service key, see ``reconciler.desired.reuse``) is neither rendered nor linted again:
    its problems come from the memo, and it is absent from ``rendered``.
    """
    build = build_desired(snapshot, memo=memo)
    result = Validation(build, problems=list(build.problems))
    synthesized = SynthesizedOutputs() if linter is not None else None
    outputs: OutputSource = synthesized if synthesized is not None else pending_source({})
    wanted = _with_dependencies(build, only) if only is not None else None
    ignore = build.specs.platform.lint_ignore_checks
    mode = _mode(linter is not None)
    # The unit key already covers what the unit is built from; the mode is what else.
    keys = {u: f"{k}/{mode}/{u}" for u, k in build.unit_keys.items()} if memo else {}
    known = memo.fetch(CHECKED_UNITS, keys.values(), _checked_of) if memo else {}
    for unit_id in build.state.order:
        if wanted is not None and unit_id not in wanted:
            continue
        key = keys.get(unit_id)
        checked = known.get(key) if key is not None else None
        if checked is None:
            unit = build.state.units[unit_id]
            checked = _check(unit, build, renderer, linter, outputs, ignore, result)
            if memo is not None and key is not None:
                memo.put(CHECKED_UNITS, key, checked, _checked_json)
        result.problems += checked.problems
        if synthesized is not None and checked.outputs is not None:
            synthesized.values[unit_id] = dict(checked.outputs)
    return result


@dataclass(frozen=True)
class _Checked:
    """What validating one unit found, and what its dependants read (with lint)."""

    problems: tuple[Problem, ...]
    outputs: Mapping[str, str] | None = None


def _check(
    unit: Unit,
    build: Build,
    renderer: Renderer,
    linter: Linter | None,
    outputs: OutputSource,
    ignore: tuple[str, ...],
    result: Validation,
) -> _Checked:
    try:
        rendered = render_unit(unit, build.state, renderer, outputs)
    except RenderError as exc:
        p = exc.problem
        return _Checked((Problem(p.file, p.line, unit.id, p.message),))
    result.rendered[unit.id] = rendered
    if linter is None:
        return _Checked(())
    synthesized = SynthesizedOutputs()
    synthesized.record(rendered)
    template = unit.bundle.infrastructure[unit.infrastructure].path
    report = linter.lint(
        rendered.body, file=template, ignore_checks=ignore, regions=(unit.target.region,)
    )
    found = tuple(
        Problem(p.file, p.line, unit.id, f"rendered line {p.line}: {p.message}", p.severity)
        for p in (*report.errors, *report.warnings)
    )
    return _Checked(found, synthesized.values.get(unit.id, {}))


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
