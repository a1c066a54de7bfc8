"""Render one unit of a Proton estate as Proton rendered it, from a bundle and inputs.

Proton rendered each stack once, with the inputs of its spec (schema defaults applied)
and the outputs its dependencies had then: an environment first, its outputs in the
instances' ``environment.outputs``, the instances' outputs in the pipeline's
``service_instances``. The same functions serve making an estate (tests, the demo) and
reading one back (``goldenpath import``), so both sides render alike.

Pure: bundles and values in, text out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.render import (
    EnvironmentInfo,
    InstanceInfo,
    Renderer,
    ServiceInfo,
    environment_context,
    pipeline_context,
    service_instance_context,
)
from reconciler.templates.inputs import whole_numbers, with_defaults
from reconciler.templates.model import Bundle


def inputs_with_defaults(bundle: Bundle, which: str, given: Mapping[str, Any]) -> dict[str, Any]:
    """``given`` with the schema's defaults for ``which`` (environment|service|pipeline)."""
    schema = bundle.input_schemas.get(which, {})
    return with_defaults(schema, whole_numbers(dict(given)))


def render_environment(
    renderer: Renderer, bundle: Bundle, *, name: str, account_id: str, inputs: Mapping[str, Any]
) -> str:
    context = environment_context(
        name=name,
        account_id=account_id,
        inputs=inputs_with_defaults(bundle, "environment", inputs),
    )
    return renderer.render(bundle.infrastructure["infrastructure"], context)


def render_instance(
    renderer: Renderer,
    bundle: Bundle,
    *,
    service: ServiceInfo,
    instance: str,
    inputs: Mapping[str, Any],
    environment: EnvironmentInfo,
) -> str:
    context = service_instance_context(
        service=service,
        instance_name=instance,
        inputs=inputs_with_defaults(bundle, "service", inputs),
        environment=environment,
    )
    return renderer.render(bundle.infrastructure["instance_infrastructure"], context)


def render_pipeline(
    renderer: Renderer,
    bundle: Bundle,
    *,
    service: ServiceInfo,
    inputs: Mapping[str, Any],
    instances: Sequence[InstanceInfo],
) -> str:
    """The pipeline; each of ``instances`` should carry its inputs with defaults applied."""
    context = pipeline_context(
        service=service,
        inputs=inputs_with_defaults(bundle, "pipeline", inputs),
        instances=instances,
    )
    return renderer.render(bundle.infrastructure["pipeline_infrastructure"], context)
