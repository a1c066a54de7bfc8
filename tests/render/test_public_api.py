"""The public surface of reconciler.render is a contract: this pins it."""

from __future__ import annotations

import reconciler.render


def test_the_public_names_are_exactly_these() -> None:
    assert sorted(reconciler.render.__all__) == [
        "DEFAULT_LIMITS",
        "EnvironmentInfo",
        "InstanceInfo",
        "LintCache",
        "LintReport",
        "Linter",
        "MemoryLintCache",
        "PLACEHOLDER_PREFIX",
        "PendingOutputs",
        "PendingValue",
        "Placeholder",
        "RenderLimits",
        "Renderer",
        "ServiceInfo",
        "component_context",
        "environment_context",
        "pending_values",
        "pipeline_context",
        "service_fields_read",
        "service_instance_context",
        "synthesize_outputs",
    ]


def test_every_public_name_is_importable() -> None:
    for name in reconciler.render.__all__:
        assert getattr(reconciler.render, name) is not None
