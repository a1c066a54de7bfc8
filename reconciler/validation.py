"""``validate``: everything that can be known about a snapshot without a cloud.

Schemas, bundles, versions, compatibility, access, rendering and, optionally, cfn-lint.
Rendering runs in dependency order. Without lint, outputs of dependencies are visible
placeholders; with lint they are synthesized in AWS formats from the dependency's own
template, because cfn-lint judges values by their format.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from reconciler.desired.build import Build, build_desired
from reconciler.desired.rendering import (
    OutputSource,
    RenderedUnit,
    SynthesizedOutputs,
    pending_source,
    render_unit,
)
from reconciler.errors import Problem, RenderError
from reconciler.render import Linter, Renderer
from reconciler.source.snapshot import Snapshot


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


def validate_snapshot(
    snapshot: Snapshot,
    *,
    renderer: Renderer,
    linter: Linter | None = None,
    only: Collection[str] | None = None,
) -> Validation:
    """Validate ``snapshot``; ``only`` restricts rendering to some unit ids (and their deps)."""
    build = build_desired(snapshot)
    result = Validation(build, problems=list(build.problems))
    synthesized = SynthesizedOutputs() if linter is not None else None
    outputs: OutputSource = synthesized if synthesized is not None else pending_source({})
    wanted = _with_dependencies(build, only) if only is not None else None
    ignore = build.specs.platform.lint_ignore_checks
    for unit_id in build.state.order:
        if wanted is not None and unit_id not in wanted:
            continue
        unit = build.state.units[unit_id]
        try:
            rendered = render_unit(unit, build.state, renderer, outputs)
        except RenderError as exc:
            p = exc.problem
            result.problems.append(Problem(p.file, p.line, unit_id, p.message))
            continue
        result.rendered[unit_id] = rendered
        if synthesized is not None and linter is not None:
            synthesized.record(rendered)
            template = unit.bundle.infrastructure[unit.infrastructure].path
            report = linter.lint(
                rendered.body, file=template, ignore_checks=ignore, regions=(unit.target.region,)
            )
            result.problems += [
                Problem(p.file, p.line, unit_id, f"rendered line {p.line}: {p.message}", p.severity)
                for p in (*report.errors, *report.warnings)
            ]
    return result


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
