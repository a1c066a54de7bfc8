"""Every unit of the example platform repo renders with Goldenpath and passes cfn-lint.

Inputs come from the specs (defaults applied by the bundle's schema); the outputs of
environments, bound services and a pipeline's instances are synthesized from their own
rendered templates. See ``conftest.py``.
"""

from __future__ import annotations

import pytest

from reconciler.specs.model import Specs
from reconciler.templates.model import Bundle, CompatibleEnvironment
from tests.conftest import EXAMPLE_REPO
from tests.example.conftest import (
    RenderedUnit,
    environment_unit_ids,
    instance_unit_ids,
    pipeline_unit_ids,
)

SERVICE_TEMPLATES = {
    "public-web-svc",
    "private-web-svc",
    "function-svc",
    "postgres-db",
    "dynamodb-table",
    "s3-bucket",
}
TEMPLATES_WITH_PIPELINES = {"public-web-svc", "private-web-svc", "function-svc"}


def lint_findings(unit: RenderedUnit) -> str:
    return "\n".join(str(p) for p in (*unit.lint.errors, *unit.lint.warnings))


def test_every_template_bundle_loads_with_its_kind(bundles: dict[str, Bundle]) -> None:
    kinds = {name: bundle.kind for name, bundle in bundles.items()}

    assert kinds == {"pizza-env": "environment"} | {t: "service" for t in SERVICE_TEMPLATES}


def test_exactly_the_web_and_function_templates_have_pipelines(
    bundles: dict[str, Bundle],
) -> None:
    with_pipeline = {name for name, bundle in bundles.items() if bundle.has_pipeline}

    assert with_pipeline == TEMPLATES_WITH_PIPELINES


def test_every_service_template_runs_on_pizza_env_major_1(bundles: dict[str, Bundle]) -> None:
    compatible = {name: bundles[name].compatible_environments for name in SERVICE_TEMPLATES}

    assert set(compatible.values()) == {(CompatibleEnvironment("pizza-env", 1),)}


def test_both_forms_of_compatibility_declaration_are_shown() -> None:
    legacy = {p.parent.parent.name for p in EXAMPLE_REPO.glob("templates/*/v1/.compatible-envs")}
    registration = {
        p.parent.parent.name
        for p in EXAMPLE_REPO.glob("templates/*/v1/.template-registration.yaml")
    }

    assert legacy == {"s3-bucket"}
    assert registration == SERVICE_TEMPLATES - legacy


@pytest.mark.parametrize("unit_id", environment_unit_ids())
def test_environment_renders_and_lints_clean(
    rendered: dict[str, RenderedUnit], unit_id: str
) -> None:
    unit = rendered[unit_id]

    assert (unit.lint.errors, unit.lint.warnings) == ((), ()), lint_findings(unit)


@pytest.mark.parametrize("unit_id", instance_unit_ids())
def test_service_instance_renders_and_lints_clean(
    rendered: dict[str, RenderedUnit], unit_id: str
) -> None:
    unit = rendered[unit_id]

    assert (unit.lint.errors, unit.lint.warnings) == ((), ()), lint_findings(unit)


@pytest.mark.parametrize("unit_id", pipeline_unit_ids())
def test_pipeline_renders_and_lints_clean(rendered: dict[str, RenderedUnit], unit_id: str) -> None:
    unit = rendered[unit_id]

    assert (unit.lint.errors, unit.lint.warnings) == ((), ()), lint_findings(unit)


def test_every_service_whose_template_has_a_pipeline_declares_one(
    specs: Specs, bundles: dict[str, Bundle]
) -> None:
    without = [
        service.name
        for service in specs.services.values()
        if bundles[service.template.name].has_pipeline and service.pipeline is None
    ]

    assert without == []
