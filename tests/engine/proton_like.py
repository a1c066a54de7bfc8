"""Stacks deployed the way Proton deployed them, for the adoption tests of the engine.

Proton rendered each template with the spec's inputs and created the stack itself, with
its own name, no parameters and ``proton:*`` tags. The units of a small test platform
are rendered here and handed to the emulator's ``ProtonDeployer``, never to Goldenpath's
apply, so the engine meets the stacks as a team migrating from Proton would.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from emulator.proton import ProtonDeployer, ProtonStack, proton_tags
from reconciler.desired.build import build_desired
from reconciler.desired.rendering import render_unit
from reconciler.render import PendingOutputs, Renderer
from reconciler.source.snapshot import Snapshot
from tests.engine.aws import ROLE, Aws


def deploy_like_proton(
    aws: Aws,
    snapshot: Snapshot,
    unit_ids: list[str],
    *,
    seed: int = 7,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, tuple[str, str]]:
    """Render ``unit_ids`` of ``snapshot`` (dependencies first) and create each as Proton
    did. ``overrides``: inputs Proton had that differ from the snapshot's. Returns unit id →
    (stack name, stack id)."""
    build = build_desired(snapshot)
    renderer = Renderer()
    deployer = ProtonDeployer(aws.url, role=ROLE, rng=random.Random(seed), poll=0.2)
    outputs: dict[str, Mapping[str, str]] = {}
    created: dict[str, tuple[str, str]] = {}
    for unit_id in unit_ids:
        unit = build.state.units[unit_id]
        if overrides and unit_id in overrides:
            unit = replace(unit, inputs={**unit.inputs, **overrides[unit_id]})

        def lookup(uid: str) -> Mapping[str, str]:
            return outputs[uid] if uid in outputs else PendingOutputs(uid)

        # Proton knew nothing of Goldenpath's keeping policies for data templates.
        rendered = render_unit(unit, build.state, renderer, lookup, retain=False)
        assert not rendered.pending, f"{unit_id} waits for {rendered.pending}"
        kind = "environment" if unit.kind == "environment" else "service-instance"
        tags = proton_tags(
            kind,
            region=unit.target.region,
            management_account=unit.target.id,
            template=unit.template,
            environment=unit.environment,
            service=unit.service,
            instance=unit.instance,
        )
        stack = ProtonStack(
            kind, unit.target.id, unit.target.region, unit_id.split("/")[-1], rendered.body, tags
        )
        made = deployer.deploy(stack)
        outputs[unit_id] = made.outputs
        created[unit_id] = (made.stack_name, made.stack_id)
    return created
