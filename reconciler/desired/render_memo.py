"""Rendered units kept between plans, for a process that plans the same repo again and
again (``goldenpath serve``).

A unit's body depends only on what its render reads: the unit itself (inputs, template
bundle and version, target, data policy), the environment units it runs in and the
instances a pipeline deploys, and the outputs of the units it reads them from. The
incremental build hands back the very ``Unit`` objects of services that did not change,
so a kept render is reused when every unit read is the same object and every output
read is equal; anything else renders again. A commit that changes one service renders
that service's units (and whatever reads their outputs), not the whole repo.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.desired.rendering import OutputSource, RenderedUnit, render_unit
from reconciler.desired.units import DesiredState, Unit
from reconciler.render import PendingOutputs, Renderer

# What a render read, in a form compared cheaply: units by identity, outputs by value.
Reads = tuple[Any, ...]


class RenderMemo:
    """The last render of each unit, with what it read. One thread at a time."""

    def __init__(self) -> None:
        self._kept: dict[str, tuple[Reads, RenderedUnit]] = {}
        self._seen: set[str] = set()
        self.hits = 0
        self.misses = 0

    def render(
        self, unit: Unit, state: DesiredState, renderer: Renderer, outputs: OutputSource
    ) -> RenderedUnit:
        """``render_unit``'s answer: kept when nothing it reads changed, else made anew."""
        reads = (renderer, *_reads(unit, state, outputs))
        self._seen.add(unit.id)
        kept = self._kept.get(unit.id)
        if kept is not None and _same(kept[0], reads):
            self.hits += 1
            return kept[1]
        self.misses += 1
        rendered = render_unit(unit, state, renderer, outputs)  # raises: nothing is kept
        self._kept[unit.id] = (reads, rendered)
        return rendered

    def end_plan(self) -> None:
        """Forget the units the plan did not render (gone from the repo, or blocked)."""
        for unit_id in self._kept.keys() - self._seen:
            del self._kept[unit_id]
        self._seen = set()


def _reads(unit: Unit, state: DesiredState, outputs: OutputSource) -> Reads:
    """Everything ``render_unit`` reads for ``unit`` (see ``rendering._context``)."""
    if unit.kind == "environment":
        return (unit,)
    if unit.kind in ("service", "component"):
        environment = f"environment/{unit.environment or ''}"
        bound = tuple(
            (alias, _outputs(outputs, target)) for alias, target in sorted(unit.bindings.items())
        )
        attached = tuple(
            (name, _outputs(outputs, target)) for name, target in sorted(unit.components.items())
        )
        # A component reads the inputs of the instance it is attached to.
        instance = (
            state.units.get(f"service/{unit.service}/{unit.instance}")
            if unit.kind == "component"
            else None
        )
        return (
            unit,
            state.units.get(environment),
            _outputs(outputs, environment),
            bound,
            attached,
            instance,
        )
    instances = []
    for ref in unit.instances:
        environment = f"environment/{ref.environment}"
        instances.append(
            (
                state.units.get(ref.unit_id),
                state.units.get(environment),
                _outputs(outputs, environment),
                _outputs(outputs, ref.unit_id),
            )
        )
    return (unit, tuple(instances))


def _outputs(outputs: OutputSource, unit_id: str) -> tuple[str, Any]:
    found = outputs(unit_id)
    if found is None:
        return ("none", None)
    if isinstance(found, PendingOutputs):
        return ("pending", unit_id)
    return ("known", dict(found))


def _same(kept: Reads, now: Reads) -> bool:
    """Units are the same objects, everything else is equal."""
    if len(kept) != len(now):
        return False
    for before, after in zip(kept, now, strict=True):
        if isinstance(before, tuple) and isinstance(after, tuple):
            if not _same(before, after):
                return False
        elif isinstance(before, Unit | Renderer) or isinstance(after, Unit) or before is None:
            if before is not after:
                return False
        elif isinstance(before, Mapping):
            if not isinstance(after, Mapping) or dict(before) != dict(after):
                return False
        elif before != after:
            return False
    return True
