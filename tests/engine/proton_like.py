"""Stacks deployed the way Proton deployed them, for the adoption tests of the engine.

Proton rendered each template with the spec's inputs and created the stack itself: a name
``AWSProton-<name cut to 15>-cloudformation-<RANDOM>``, no parameters, and ``proton:*``
tags whose values are Proton ARNs. These helpers do the same with boto3 against the
emulator, never through Goldenpath's apply, so the engine meets the stacks as a team
migrating from Proton would.
"""

from __future__ import annotations

import random
import string
from collections.abc import Mapping
from typing import Any

from reconciler.desired.build import build_desired
from reconciler.desired.rendering import render_unit
from reconciler.render import PendingOutputs, Renderer
from reconciler.source.snapshot import Snapshot
from tests.engine.aws import Aws

REGION = "us-west-2"


def proton_stack_name(name: str, rng: random.Random) -> str:
    suffix = "".join(rng.choice(string.ascii_uppercase) for _ in range(13))
    return f"AWSProton-{name[:15]}-cloudformation-{suffix}"


def proton_tags(unit_id: str, account: str) -> dict[str, str]:
    """The ``proton:*`` tags Proton put on the stack of ``unit_id`` (Goldenpath's ids)."""
    arn = f"arn:aws:proton:{REGION}:{account}"
    kind, *names = unit_id.split("/")
    if kind == "environment":
        return {
            "proton:environment": f"{arn}:environment/{names[0]}",
            "proton:template": f"{arn}:environment-template/env",
            "proton:account": account,
        }
    service, instance = names
    template = "svc" if kind == "service" else kind
    return {
        "proton:service": f"{arn}:service/{service}",
        "proton:service-instance": f"{arn}:service/{service}/service-instance/{instance}",
        "proton:template": f"{arn}:service-template/{template}",
        "proton:account": account,
    }


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
    rng = random.Random(seed)
    build = build_desired(snapshot)
    renderer = Renderer()
    outputs: dict[str, dict[str, str]] = {}
    created: dict[str, tuple[str, str]] = {}
    for unit_id in unit_ids:
        unit = build.state.units[unit_id]
        if overrides and unit_id in overrides:
            from dataclasses import replace

            unit = replace(unit, inputs={**unit.inputs, **overrides[unit_id]})

        def lookup(uid: str) -> Mapping[str, str]:
            return outputs[uid] if uid in outputs else PendingOutputs(uid)

        # Proton knew nothing of Goldenpath's keeping policies for data templates.
        rendered = render_unit(unit, build.state, renderer, lookup, retain=False)
        assert not rendered.pending, f"{unit_id} waits for {rendered.pending}"
        name = proton_stack_name(unit_id.split("/")[-1], rng)
        cfn = aws.client("cloudformation", unit.target.id)
        tags = proton_tags(unit_id, unit.target.id)
        stack_id = cfn.create_stack(
            StackName=name,
            TemplateBody=rendered.body,
            Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
        )["StackId"]
        cfn.get_waiter("stack_create_complete").wait(
            StackName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
        )
        described = cfn.describe_stacks(StackName=name)["Stacks"][0]
        outputs[unit_id] = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
        created[unit_id] = (name, stack_id)
    return created
