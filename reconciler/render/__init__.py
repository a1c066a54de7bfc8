"""Proton-compatible rendering: the sandboxed renderer, Proton's namespaces and filters.

Pure core: no file, network, git or database access. Modules are private; this is the
public surface, pinned by ``tests/render/test_public_api.py``.
"""

from reconciler.render._context import (
    EnvironmentInfo,
    InstanceInfo,
    ServiceInfo,
    component_context,
    environment_context,
    pipeline_context,
    service_instance_context,
)
from reconciler.render._lint import LintCache, Linter, LintReport, MemoryLintCache
from reconciler.render._outputs import synthesize_outputs
from reconciler.render._pending import (
    PLACEHOLDER_PREFIX,
    PendingOutputs,
    PendingValue,
    Placeholder,
    pending_values,
)
from reconciler.render._reads import service_fields_read
from reconciler.render._renderer import DEFAULT_LIMITS, Renderer, RenderLimits

__all__ = [
    "DEFAULT_LIMITS",
    "PLACEHOLDER_PREFIX",
    "EnvironmentInfo",
    "InstanceInfo",
    "LintCache",
    "LintReport",
    "Linter",
    "MemoryLintCache",
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
