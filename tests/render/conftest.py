"""Helpers for the render tests: a renderer, and templates written inline."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest

from reconciler.render import EnvironmentInfo, Renderer, ServiceInfo, service_instance_context
from reconciler.templates.model import TemplateFile

INSTANCE_PATH = "templates/svc/v1/instance_infrastructure/cloudformation.yaml"
ACCOUNT = "111111111111"

Render = Callable[..., str]


def template(source: str, path: str = INSTANCE_PATH) -> TemplateFile:
    return TemplateFile(path=path, source=source)


def instance_context(
    inputs: Mapping[str, Any] | None = None,
    *,
    outputs: Mapping[str, Any] | None = None,
    components: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    return service_instance_context(
        service=ServiceInfo(name="web", repository_id="org/web", branch_name="main"),
        instance_name="test",
        inputs=inputs or {},
        environment=EnvironmentInfo(name="test", account_id=ACCOUNT, outputs=outputs or {}),
        components=components,
    )


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


@pytest.fixture
def render(renderer: Renderer) -> Render:
    """Renders an inline template against a service instance context."""

    def run(source: str, context: Mapping[str, Any] | None = None, **inputs: Any) -> str:
        return renderer.render(template(source), context or instance_context(inputs))

    return run
