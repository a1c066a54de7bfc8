"""Which Proton unit a stack was, from its proton:* tags; and how stacks group into units."""

from __future__ import annotations

import re

import pytest

from reconciler.proton_import.tags import FoundStack, TagError, group, proton_unit

ARN = "arn:aws:proton:us-west-2:123456789012:"


def test_an_instance_stack_names_its_service_instance_environment_and_template() -> None:
    unit = proton_unit(
        {
            "proton:account": "123456789012",
            "proton:environment": ARN + "environment/Beta",
            "proton:service": ARN + "service/my-webapp",
            "proton:service-instance": ARN + "service/my-webapp/service-instance/frontend-dev",
            "proton:template": ARN + "service-template/lb-fargate-svc",
        }
    )
    assert unit.id == "service/my-webapp/frontend-dev"
    assert (unit.environment, unit.template) == ("Beta", "lb-fargate-svc")


def test_a_pipeline_and_an_environment_are_told_apart_by_their_tags() -> None:
    pipeline = proton_unit(
        {
            "proton:service": ARN + "service/my-webapp",
            "proton:template": ARN + "service-template/lb-fargate-svc",
        }
    )
    environment = proton_unit(
        {
            "proton:environment": ARN + "environment/Beta",
            "proton:template": ARN + "environment-template/vpc-ecscluster-env",
        }
    )
    assert (pipeline.id, environment.id) == ("pipeline/my-webapp", "environment/Beta")


@pytest.mark.parametrize(
    ("tags", "message"),
    [
        ({"aws:cloudformation:stack-name": "x"}, "no proton:* tags"),
        ({"proton:environment": "Beta"}, "tag proton:environment is 'Beta': expected a Proton ARN"),
        (
            {"proton:environment": ARN + "environment/Beta"},
            "an environment stack must carry proton:template (a Proton ARN); it is missing",
        ),
        (
            {
                "proton:environment": ARN + "environment/Beta",
                "proton:template": ARN + "service-template/svc",
            },
            "expected a environment-template ARN",
        ),
        (
            {"proton:service-instance": ARN + "service/a/service-instance/b"},
            "a service instance stack must carry proton:environment",
        ),
    ],
)
def test_missing_or_malformed_tags_say_what_was_expected(
    tags: dict[str, str], message: str
) -> None:
    with pytest.raises(TagError, match=re.escape(message)):
        proton_unit(tags)


def test_two_stacks_claiming_one_unit_are_both_refused() -> None:
    unit = proton_unit(
        {
            "proton:environment": ARN + "environment/Beta",
            "proton:template": ARN + "environment-template/env",
        }
    )
    first = FoundStack("111111111111", "us-west-2", "AWSProton-Beta-cloudformation-A", "id-a", unit)
    second = FoundStack(
        "111111111111", "us-west-2", "AWSProton-Beta-cloudformation-B", "id-b", unit
    )

    estate = group([first, second])

    assert estate.environments == {}
    assert [p.stack_name for p in estate.problems] == [first.stack_name, second.stack_name]
    assert "2 stacks claim environment/Beta" in estate.problems[0].message
