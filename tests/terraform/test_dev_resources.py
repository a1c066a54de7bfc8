"""Every corpus bundle gets the variables it reads, in the shapes of ``dev-resources/``.

``aws-samples-terraform/*/dev-resources/`` are the variable files the samples' authors
kept from Proton, edited by hand (some are not even JSON, some merge an instance's and a
pipeline's). So they are compared by structure where they are one unit's file, and every
bundle is checked against what decides whether Terraform can run it: each
``var.<namespace>.<attribute>`` its ``.tf`` files read is declared and given.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import hcl2
import pytest

from reconciler.desired.build import build_desired
from reconciler.desired.units import DesiredState, Unit
from reconciler.errors import RenderError
from reconciler.source.worktree import WorkingTree
from reconciler.terraform import TFVARS_FILE, VARIABLES_FILE, render_terraform
from tests.support.terraform_repo import SAMPLES, corpus_platform

READ = re.compile(r"\bvar\.(environment|service|service_instance|pipeline)\.([a-z_]+)")
SUB_READ = re.compile(
    r"\bvar\.(environment|service_instance|pipeline)\.(inputs|outputs)\.([A-Za-z0-9_]+)"
)
# Reads a template guards with can(...): absent is what it expects when nothing is there.
GUARDED = {("service_instance", "components")}


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> DesiredState:
    repo = corpus_platform(tmp_path_factory.mktemp("tf") / "repo")
    repo.commit("every Terraform bundle of the corpus")
    build = build_desired(WorkingTree(repo.root).snapshot())
    assert build.errors == []
    return build.state


def outputs_of(state: DesiredState) -> dict[str, dict[str, str]]:
    """Every unit's outputs, named as its outputs.tf declares them."""
    found = {}
    for unit in state.units.values():
        names = re.findall(rb'^output\s+"([^"]+)"', _tf(unit), re.MULTILINE)
        found[unit.id] = {n.decode(): f"value-of-{n.decode()}" for n in names}
    return found


def test_every_read_variable_is_declared_and_given(state: DesiredState) -> None:
    outputs = outputs_of(state)
    checked = 0
    for unit in state.units.values():
        if unit.environment == "vpc-env" and unit.kind == "environment":
            continue  # its config.tf is not HCL (test_corpus_bundles)
        files = render_terraform(unit, state, outputs.get).files
        values = json.loads(files[TFVARS_FILE])
        declared = hcl2.loads(files[VARIABLES_FILE[unit.kind]].decode())
        types = {name: body for block in declared["variable"] for name, body in block.items()}
        for namespace, attribute in set(READ.findall(_tf(unit).decode())) - GUARDED:
            assert namespace in values, (unit.id, namespace)
            assert attribute in values[namespace], (unit.id, namespace, attribute)
            assert f"{attribute} = " in types[f'"{namespace}"']["type"].replace("  ", " "), (
                unit.id,
                namespace,
                attribute,
            )
            checked += 1
        if unit.kind == "pipeline":
            assert values["service_instances"] and "service_instances" in str(declared)
    assert checked > 100


def test_every_read_input_and_output_is_given_or_guarded(state: DesiredState) -> None:
    """An input the spec leaves out (optional, no default) is absent, as Proton left it;
    the corpus's templates read those through ``lookup``/``contains(keys(...))``."""
    outputs = outputs_of(state)
    checked = absent = 0
    for unit in state.units.values():
        if unit.id == "environment/vpc-env":
            continue
        values = json.loads(render_terraform(unit, state, outputs.get).files[TFVARS_FILE])
        text = _tf(unit).decode()
        for namespace, kind, key in set(SUB_READ.findall(text)):
            checked += 1
            if key in values[namespace][kind]:
                continue
            absent += 1
            # Only optional inputs are ever absent, and the template checks for them
            # (a ternary on the line, or a count on the block, as the corpus does).
            guards = (
                f"lookup(var.{namespace}.{kind}",
                f"contains(keys(var.{namespace}.{kind})",
                f"try(var.{namespace}.{kind}.",
            )
            assert kind == "inputs" and any(g in text for g in guards), (unit.id, namespace, key)
            assert key not in unit.bundle.input_schemas["service"].get("required", [])
    assert checked > 150 and 0 < absent < 10


def test_vpc_env_does_not_render_because_terraform_cannot_read_it(state: DesiredState) -> None:
    with pytest.raises(RenderError) as raised:
        render_terraform(state.units["environment/vpc-env"], state, lambda _u: None)
    assert raised.value.problem.file.endswith("templates/vpc-env/v1/infrastructure/config.tf")
    assert raised.value.problem.line == 17


@pytest.mark.parametrize("env", ["ecs-ec2-env", "fargate-env"])
def test_an_environment_has_the_dev_resources_shape(state: DesiredState, env: str) -> None:
    dev = _dev(SAMPLES / f"environment-templates/{env}/dev-resources/proton.auto.tfvars.json")
    ours = json.loads(
        render_terraform(state.units[f"environment/{env}"], state, dict().get).files[TFVARS_FILE]
    )
    assert list(ours) == [*dev, "//"]
    assert ours["environment"] == dev["environment"]  # the same name and the same inputs


@pytest.mark.parametrize(
    "template", ["backend-ecs-ec2-svc", "scheduled-ecs-ec2-svc", "scheduled-lambda-svc"]
)
def test_an_instance_and_a_pipeline_have_the_dev_resources_shape(
    state: DesiredState, template: str
) -> None:
    outputs = outputs_of(state)
    folder = SAMPLES / f"service-templates/{template}/dev-resources"
    for kind, unit_id in (
        ("instance", f"service/{template}/{template}-prod"),
        ("pipeline", f"pipeline/{template}"),
    ):
        dev = _dev(folder / f"{kind}/proton.auto.tfvars.json")
        ours = json.loads(
            render_terraform(state.units[unit_id], state, outputs.get).files[TFVARS_FILE]
        )
        assert list(ours) == [*dev, "//"], unit_id
        for namespace, value in dev.items():
            if isinstance(value, list):
                assert [list(v) for v in ours[namespace]] == [list(v) for v in value], namespace
                assert list(ours[namespace][0]["environment"]) == list(value[0]["environment"])
                continue
            keys = list(value)
            if namespace == "service_instance":
                # dev-resources show an empty "components"; Proton's own files
                # (my_first_tf_env_2) give it only where components are attached.
                keys.remove("components")
            assert list(ours[namespace]) == keys, (unit_id, namespace)


def _dev(path: Path) -> Any:
    return json.loads(path.read_text())


def _tf(unit: Unit) -> bytes:
    file = unit.bundle.infrastructure[unit.infrastructure]
    return b"\n".join(data for name, data in file.files if name.endswith(".tf"))
