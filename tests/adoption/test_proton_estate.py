"""A Proton estate in the emulator: Proton's stack names, tags and bodies, in Proton's accounts."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from emulator.proton import proton_stack_name, proton_tags
from goldenpath.proton_estate import bundle
from reconciler.desired.template_body import load_body
from reconciler.proton_import.rendering import render_environment
from reconciler.render import Renderer
from tests.adoption.conftest import fresh_tutorial_accounts
from tests.engine.aws import Aws
from tests.support import proton_estate as tutorial
from tests.support.tutorial import PRODUCTION_ENV, TEST_ENV

PROTON_NAME = re.compile(r"AWSProton-[-A-Za-z0-9]{1,15}-cloudformation-[A-Z]{13}")


def test_a_stack_name_cuts_the_name_part_to_15_and_ends_in_13_random_uppercase_letters() -> None:
    name = proton_stack_name("VPC-ECSCluster-Env-Production", random.Random(7))
    assert name.startswith("AWSProton-VPC-ECSCluster-cloudformation-")
    assert PROTON_NAME.fullmatch(name)
    assert proton_stack_name("my_webapp", random.Random(7)).startswith("AWSProton-my-webapp-")


def test_an_instance_stack_carries_environment_service_instance_and_template_arns() -> None:
    tags = proton_tags(
        "service-instance",
        region="us-west-2",
        management_account="123456789012",
        template="lb-fargate-svc",
        environment="Beta",
        service="my-webapp",
        instance="frontend-dev",
    )
    arn = "arn:aws:proton:us-west-2:123456789012:"
    assert tags == {
        "proton:account": "123456789012",
        "proton:environment": arn + "environment/Beta",
        "proton:service": arn + "service/my-webapp",
        "proton:service-instance": arn + "service/my-webapp/service-instance/frontend-dev",
        "proton:template": arn + "service-template/lb-fargate-svc",
    }


def test_a_pipeline_stack_carries_the_service_and_its_template_only() -> None:
    tags = proton_tags(
        "pipeline",
        region="us-west-2",
        management_account="123456789012",
        template="lb-fargate-svc",
        service="my-webapp",
    )
    assert set(tags) == {"proton:account", "proton:service", "proton:template"}


@pytest.mark.corpus
@pytest.mark.slow
def test_the_tutorial_estate_lives_where_proton_put_it(aws: Aws, tmp_path: Path) -> None:
    accounts = fresh_tutorial_accounts()
    estate = tutorial.chapter1_estate(aws.url, tmp_path, accounts)

    assert set(estate.stacks) == set(tutorial.UNITS)
    where = {
        f"environment/{TEST_ENV}": accounts.test,
        f"environment/{PRODUCTION_ENV}": accounts.production,
        "service/my-webapp/test": accounts.test,
        "service/my-webapp/production": accounts.production,
        "pipeline/my-webapp": accounts.pipelines,
    }
    for unit, made in estate.stacks.items():
        assert made.account == where[unit], unit
        assert PROTON_NAME.fullmatch(made.stack_name), made.stack_name
        live = aws.stacks(made.account)[made.stack_name]
        assert live["StackId"] == made.stack_id
        assert live["StackStatus"] == "CREATE_COMPLETE"
        assert not live.get("Parameters")
        tags = {t["Key"]: t["Value"] for t in live["Tags"]}
        assert tags["proton:account"] == accounts.pipelines
        assert all(
            v.startswith("arn:aws:proton:us-west-2:")
            for k, v in tags.items()
            if k != "proton:account"
        )
    # The pipeline is in the management account only.
    assert estate.stacks["pipeline/my-webapp"].stack_name not in aws.stacks(accounts.test)


@pytest.mark.corpus
@pytest.mark.slow
def test_the_tutorial_estate_bodies_are_the_rendered_templates(aws: Aws, tmp_path: Path) -> None:
    accounts = fresh_tutorial_accounts()
    estate = tutorial.chapter1_estate(aws.url, tmp_path, accounts)

    env = estate.stacks[f"environment/{TEST_ENV}"]
    expected = render_environment(
        Renderer(),
        bundle(estate.templates / "vpc-ecscluster-env" / "v1"),
        name=TEST_ENV,
        account_id=accounts.test,
        inputs={"vpc_cidr": "10.0.0.0/16"},
    )
    assert aws.template(env.account, env.stack_name) == expected

    production = estate.stacks["service/my-webapp/production"]
    body = load_body(aws.template(production.account, production.stack_name))
    task = body["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"][0]
    assert task["Environment"][0]["Value"] == tutorial.PRODUCTION_CONTENT
    # The instance saw its environment's live outputs.
    outputs = estate.stacks[f"environment/{PRODUCTION_ENV}"].outputs
    service = body["Resources"]["Service"]["Properties"]
    assert service["Cluster"] == outputs["ClusterName"]

    pipeline = estate.stacks["pipeline/my-webapp"]
    text = aws.template(pipeline.account, pipeline.stack_name)
    assert tutorial.REPOSITORY in text and "Deploy-production" in text
