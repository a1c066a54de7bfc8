"""The corpus's Terraform component, attached to a CloudFormation service's instance."""

from __future__ import annotations

import json
from pathlib import Path

from reconciler.desired.build import build_desired
from reconciler.desired.rendering import render_unit
from reconciler.render import Renderer
from reconciler.source.worktree import WorkingTree
from reconciler.terraform import METADATA_FILE, render_terraform
from tests.desired.test_components import attach
from tests.support.platform_repo import allow_components, small_platform, write_environment
from tests.support.terraform_repo import SAMPLES, tf_corpus

COMPONENT = "component/web/test/bucket"


def test_a_terraform_component_renders_with_its_instances_namespaces(tmp_path: Path) -> None:
    tf_corpus()
    repo = small_platform(tmp_path / "repo")
    allow_components(repo)
    write_environment(repo, "test", "111111111111", component_role=True)
    corpus = SAMPLES / "component-templates/s3-bucket-component"
    repo.copy_tree(corpus, "services/web/components/bucket")
    attach(repo, "bucket")
    repo.commit("a Terraform component on a CloudFormation instance")
    build = build_desired(WorkingTree(repo.root).snapshot())
    assert build.errors == []
    unit = build.state.units[COMPONENT]
    assert unit.is_terraform and unit.stack_name == ""
    outputs = {"environment/test": {"VpcId": "vpc-1"}}
    files = render_terraform(unit, build.state, outputs.get).with_deployment("d-1")
    assert sorted(files) == [
        METADATA_FILE,
        "component.tf",
        "proton.auto.tfvars.json",
        "proton.component.variables.tf",
    ]
    values = json.loads(files["proton.auto.tfvars.json"])
    assert list(values) == ["environment", "service", "service_instance", "component", "//"]
    assert values["component"] == {"name": "bucket"}
    assert values["service_instance"]["inputs"] == {"size": 1, "label": "hello"}
    assert values["//"] == "urn:goldenpath:unit:us-west-2:111111111111:component/web-test-bucket"
    metadata = json.loads(files[METADATA_FILE])
    assert metadata["componentMetadata"] == {
        "arn": values["//"],
        "environmentArn": "urn:goldenpath:unit:us-west-2:111111111111:environment/test",
    }
    # The CloudFormation instance reads the component's outputs, once Terraform gave them.
    instance = build.state.units["service/web/test"]
    known = {**outputs, "service/orders/test": {"QueueUrl": "q"}, COMPONENT: {"bucket": "b"}}
    assert not render_unit(instance, build.state, Renderer(), known.get).pending
