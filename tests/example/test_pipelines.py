"""The example's pipelines read ``service_instances``: they promote to each instance in
order, ask for approval after the first, and let every instance's account pull builds."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.specs.model import Specs
from tests.example.conftest import RenderedUnit, pipeline_unit_ids, resources_of_type


def stages(unit: RenderedUnit) -> list[dict[str, Any]]:
    [pipeline] = resources_of_type(unit, "AWS::CodePipeline::Pipeline").values()
    return list(pipeline["Properties"]["Stages"])


@pytest.mark.parametrize("unit_id", pipeline_unit_ids())
def test_pipeline_promotes_to_every_instance_in_spec_order(
    rendered: dict[str, RenderedUnit], specs: Specs, unit_id: str
) -> None:
    service = specs.services[unit_id.split("/")[1]]

    names = [stage["Name"] for stage in stages(rendered[unit_id])]

    assert names == ["Source", "Build"] + [f"Promote-{i.name}" for i in service.instances]


@pytest.mark.parametrize("unit_id", pipeline_unit_ids())
def test_pipeline_asks_for_approval_before_every_instance_after_the_first(
    rendered: dict[str, RenderedUnit], unit_id: str
) -> None:
    promotions = [s for s in stages(rendered[unit_id]) if s["Name"].startswith("Promote-")]

    approvals = [
        [a["ActionTypeId"]["Category"] == "Approval" for a in stage["Actions"]]
        for stage in promotions
    ]

    assert approvals[0] == [False]
    assert all(actions == [True, False] for actions in approvals[1:])


def test_image_repository_lets_the_accounts_of_the_instances_pull(
    rendered: dict[str, RenderedUnit],
) -> None:
    [repository] = resources_of_type(rendered["pipeline/web"], "AWS::ECR::Repository").values()
    [statement] = repository["Properties"]["RepositoryPolicyText"]["Statement"]

    principals = [p["Fn::Sub"] for p in statement["Principal"]["AWS"]]

    assert principals == [
        "arn:${AWS::Partition}:iam::111111111111:root",
        "arn:${AWS::Partition}:iam::333333333333:root",
    ]


def test_pipeline_reads_the_code_repository_of_the_service(
    rendered: dict[str, RenderedUnit],
) -> None:
    [source] = stages(rendered["pipeline/menu-api"])[0]["Actions"]

    assert source["Configuration"]["FullRepositoryId"] == "pizza-ananas/menu-api"
    assert source["Configuration"]["BranchName"] == "main"
    assert source["Configuration"]["ConnectionArn"].startswith(
        "arn:aws:codestar-connections:us-west-2:444444444444:connection/"
    )


@pytest.mark.parametrize(
    ("unit_id", "dockerfile"),
    [("pipeline/menu-api", "build/Dockerfile"), ("pipeline/web", "none")],
)
def test_build_follows_the_first_instance_language_and_dockerfile(
    rendered: dict[str, RenderedUnit], unit_id: str, dockerfile: str
) -> None:
    [build] = [
        project
        for project in resources_of_type(rendered[unit_id], "AWS::CodeBuild::Project").values()
        if project["Properties"]["Name"].endswith("-build")
    ]

    variables = {
        v["Name"]: v["Value"] for v in build["Properties"]["Environment"]["EnvironmentVariables"]
    }

    assert variables["DOCKERFILE"] == dockerfile
