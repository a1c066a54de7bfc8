"""The runtime rule of Pizza&Ananas, enforced by the bundles' own input schemas: python,
nodejs, ruby and java run as they are; any other language must name a Dockerfile.

Each case is a real service spec, loaded with the example repo's other files, whose
instance inputs are then resolved against the template's schema as validation does.
"""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.errors import SpecError
from reconciler.specs.loader import load_specs
from reconciler.specs.model import Instance, Origin
from reconciler.templates.inputs import resolve_inputs
from reconciler.templates.model import Bundle
from tests.conftest import EXAMPLE_REPO
from tests.example.conftest import repo_files

RULED_TEMPLATES = ["public-web-svc", "private-web-svc", "function-svc"]
NATIVE_LANGUAGES = ["python", "nodejs", "ruby", "java"]
SPEC_FILE = "services/kitchen-display.yaml"
RULE = "languages other than python, nodejs, ruby and java must name a dockerfile"


def spec_text(template: str, inputs: str) -> str:
    return f"""\
apiVersion: goldenpath.dev/v1
kind: Service
metadata:
  name: kitchen-display
  team: storefront
spec:
  template:
    name: {template}
    version: "1"
  instances:
    - name: test
      environment: test
      inputs: {inputs}
"""


def instance_of(template: str, inputs: str) -> Instance:
    files = repo_files(EXAMPLE_REPO) | {SPEC_FILE: spec_text(template, inputs).encode()}
    specs, problems = load_specs(files)
    assert problems == []
    [instance] = specs.services["kitchen-display"].instances
    return instance


def resolve(bundle: Bundle, instance: Instance) -> dict[str, Any]:
    origin = Origin(instance.origin.file, instance.origin.line, "spec.instances[0].inputs")
    return resolve_inputs(bundle.input_schemas["service"], instance.inputs, origin=origin)


@pytest.mark.parametrize("template", RULED_TEMPLATES)
def test_go_without_a_dockerfile_is_rejected_with_the_rule(
    bundles: dict[str, Bundle], template: str
) -> None:
    instance = instance_of(template, "{language: go}")

    with pytest.raises(SpecError) as raised:
        resolve(bundles[template], instance)

    [problem] = raised.value.problems
    assert (problem.file, problem.line) == (SPEC_FILE, instance.origin.line)
    assert problem.field == "spec.instances[0].inputs"
    assert RULE in problem.message


@pytest.mark.parametrize("template", RULED_TEMPLATES)
def test_go_with_a_dockerfile_is_accepted(bundles: dict[str, Bundle], template: str) -> None:
    instance = instance_of(template, "{language: go, dockerfile: build/Dockerfile}")

    inputs = resolve(bundles[template], instance)

    assert (inputs["language"], inputs["dockerfile"]) == ("go", "build/Dockerfile")


@pytest.mark.parametrize("language", NATIVE_LANGUAGES)
@pytest.mark.parametrize("template", RULED_TEMPLATES)
def test_native_languages_run_without_a_dockerfile(
    bundles: dict[str, Bundle], template: str, language: str
) -> None:
    instance = instance_of(template, f"{{language: {language}}}")

    inputs = resolve(bundles[template], instance)

    assert inputs["language"] == language
    assert "dockerfile" not in inputs


@pytest.mark.parametrize("template", RULED_TEMPLATES)
def test_a_missing_language_is_rejected_naming_the_field(
    bundles: dict[str, Bundle], template: str
) -> None:
    instance = instance_of(template, "{dockerfile: Dockerfile}")

    with pytest.raises(SpecError) as raised:
        resolve(bundles[template], instance)

    [problem] = raised.value.problems
    assert problem.field == "spec.instances[0].inputs.language"
    assert "missing required field 'language'" in problem.message
