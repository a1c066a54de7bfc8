"""The runtime rule, seen in the rendered pipelines: python, nodejs, ruby and java build
without a Dockerfile; a service that names one (any other language must) is built with it.

The choice is made when the pipeline renders, from the first instance's inputs, and shows
as the build project's ``BUILD`` variable and the stack's ``BuildStrategy`` output; the
buildspec holds only the commands of that build.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
import yaml

from reconciler.render import Linter
from reconciler.specs.model import Specs
from reconciler.templates.model import Bundle
from tests.example.conftest import ExampleRender, RenderedUnit, resources_of_type, template_of

NATIVE = ["python", "nodejs", "ruby", "java"]
# A service of each template with a pipeline: (service, template).
WEB = [("web", "public-web-svc"), ("menu-api", "private-web-svc")]
FUNCTION = ("order-events", "function-svc")


def pipeline_with(
    specs: Specs, bundles: dict[str, Bundle], linter: Linter, service: str, inputs: dict[str, Any]
) -> RenderedUnit:
    """The pipeline of ``service`` when every instance has ``inputs`` changed (None drops)."""
    found = specs.services[service]
    instances = tuple(
        replace(
            i,
            inputs={k: v for k, v in {**i.inputs, **inputs}.items() if v is not None},
        )
        for i in found.instances
    )
    changed = replace(
        specs, services={**specs.services, service: replace(found, instances=instances)}
    )
    return ExampleRender(changed, bundles, linter).pipeline(changed.services[service])


def build_project(unit: RenderedUnit) -> dict[str, Any]:
    [project] = [
        p
        for p in resources_of_type(unit, "AWS::CodeBuild::Project").values()
        if p["Properties"]["Name"].endswith("-build")
    ]
    return dict(project["Properties"])


def variables(unit: RenderedUnit) -> dict[str, str]:
    found = build_project(unit)["Environment"]["EnvironmentVariables"]
    return {v["Name"]: v["Value"] for v in found if isinstance(v["Value"], str)}


def build_commands(unit: RenderedUnit) -> list[str]:
    spec = yaml.safe_load(build_project(unit)["Source"]["BuildSpec"])
    return list(spec["phases"]["build"]["commands"])


def strategy(unit: RenderedUnit) -> str:
    return str(template_of(unit)["Outputs"]["BuildStrategy"]["Value"])


@pytest.mark.parametrize("language", NATIVE)
@pytest.mark.parametrize(("service", "template"), WEB)
def test_a_native_language_is_built_by_buildpacks_without_a_dockerfile(
    specs: Specs,
    bundles: dict[str, Bundle],
    linter: Linter,
    service: str,
    template: str,
    language: str,
) -> None:
    unit = pipeline_with(
        specs, bundles, linter, service, {"language": language, "dockerfile": None}
    )

    assert (variables(unit)["BUILD"], variables(unit)["LANGUAGE"]) == ("buildpacks", language)
    assert strategy(unit) == "buildpacks"
    commands = " ".join(build_commands(unit))
    assert "pack build" in commands and "docker build" not in commands
    assert unit.lint.errors == ()


@pytest.mark.parametrize(("service", "template"), WEB)
def test_another_language_is_built_from_its_dockerfile(
    specs: Specs, bundles: dict[str, Bundle], linter: Linter, service: str, template: str
) -> None:
    unit = pipeline_with(
        specs, bundles, linter, service, {"language": "go", "dockerfile": "build/Dockerfile"}
    )

    assert variables(unit)["BUILD"] == "dockerfile"
    assert variables(unit)["DOCKERFILE"] == "build/Dockerfile"
    assert strategy(unit) == "dockerfile build/Dockerfile"
    commands = " ".join(build_commands(unit))
    assert 'docker build --file "$DOCKERFILE"' in commands and "pack build" not in commands
    assert "install" not in yaml.safe_load(build_project(unit)["Source"]["BuildSpec"])["phases"]
    assert unit.lint.errors == ()


def test_a_native_language_that_brings_a_dockerfile_is_built_with_it(
    specs: Specs, bundles: dict[str, Bundle], linter: Linter
) -> None:
    unit = pipeline_with(
        specs, bundles, linter, "web", {"language": "nodejs", "dockerfile": "Dockerfile"}
    )

    assert variables(unit)["BUILD"] == "dockerfile"


@pytest.mark.parametrize("language", NATIVE)
def test_a_native_function_is_zipped_for_its_lambda_runtime(
    specs: Specs, bundles: dict[str, Bundle], linter: Linter, language: str
) -> None:
    service, _template = FUNCTION
    inputs: dict[str, Any] = {"language": language, "dockerfile": None}
    unit = pipeline_with(specs, bundles, linter, service, inputs)

    assert variables(unit)["BUILD"] == "zip"
    assert strategy(unit) == "zip"
    commands = " ".join(build_commands(unit))
    assert "function.zip" in commands and "docker build" not in commands
    assert unit.lint.errors == ()


def test_a_function_in_another_language_is_an_image_from_its_dockerfile(
    specs: Specs, bundles: dict[str, Bundle], linter: Linter
) -> None:
    service, _template = FUNCTION
    unit = pipeline_with(
        specs, bundles, linter, service, {"language": "rust", "dockerfile": "Dockerfile"}
    )

    assert (variables(unit)["BUILD"], strategy(unit)) == ("image", "image Dockerfile")
    commands = " ".join(build_commands(unit))
    assert 'docker build --file "$DOCKERFILE"' in commands and "function.zip" not in commands


@pytest.mark.parametrize(
    ("unit_id", "expected"),
    [
        ("pipeline/web", "buildpacks"),
        ("pipeline/menu-api", "dockerfile build/Dockerfile"),
        ("pipeline/order-events", "zip"),
    ],
)
def test_the_example_services_build_as_the_rule_says(
    rendered: dict[str, RenderedUnit], unit_id: str, expected: str
) -> None:
    assert strategy(rendered[unit_id]) == expected
