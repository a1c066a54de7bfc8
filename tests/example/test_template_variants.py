"""Branches of the example's templates that its own specs do not take, rendered from one of
its instances with some inputs changed, and linted like the rest."""

from __future__ import annotations

import pytest

from tests.example.conftest import ExampleRender, RenderedUnit, resources_of_type

FUNCTION = "service/order-events/test"
RUNTIMES = {"python": "python3.13", "nodejs": "nodejs24.x", "ruby": "ruby3.4", "java": "java21"}


def assert_lints_clean(unit: RenderedUnit) -> None:
    findings = [str(p) for p in (*unit.lint.errors, *unit.lint.warnings)]
    assert findings == []


@pytest.mark.parametrize(("language", "runtime"), sorted(RUNTIMES.items()))
def test_published_zip_runs_on_the_platform_runtime_of_its_language(
    example: ExampleRender, language: str, runtime: str
) -> None:
    unit = example.instance_variant(
        FUNCTION,
        f"zip-{language}",
        {"language": language, "code_uri": "s3://pizza-packages/functions/5a7c2e91/function.zip"},
    )

    [function] = resources_of_type(unit, "AWS::Lambda::Function").values()

    assert function["Properties"]["Runtime"] == runtime
    assert function["Properties"]["Code"] == {
        "S3Bucket": "pizza-packages",
        "S3Key": "functions/5a7c2e91/function.zip",
    }
    assert_lints_clean(unit)


def test_function_with_a_dockerfile_runs_as_its_published_image(example: ExampleRender) -> None:
    image = "444444444444.dkr.ecr.us-west-2.amazonaws.com/order-events:5a7c2e91b04d"
    unit = example.instance_variant(
        FUNCTION, "image", {"language": "rust", "dockerfile": "Dockerfile", "image_uri": image}
    )

    [function] = resources_of_type(unit, "AWS::Lambda::Function").values()

    assert function["Properties"]["PackageType"] == "Image"
    assert function["Properties"]["Code"] == {"ImageUri": image}
    assert "Runtime" not in function["Properties"]
    assert_lints_clean(unit)


def test_function_with_nothing_published_runs_the_placeholder(example: ExampleRender) -> None:
    unit = example.instance_variant(
        FUNCTION, "unpublished", {"language": "rust", "dockerfile": "Dockerfile"}
    )

    [function] = resources_of_type(unit, "AWS::Lambda::Function").values()

    assert "has no code published yet" in function["Properties"]["Code"]["ZipFile"]
    assert_lints_clean(unit)


def test_function_without_a_schedule_has_no_rule(example: ExampleRender) -> None:
    unit = example.instance_variant(FUNCTION, "on-demand", {"schedule": None})

    assert resources_of_type(unit, "AWS::Events::Rule") == {}
    assert_lints_clean(unit)


def test_table_without_a_sort_key_has_one_key_attribute(example: ExampleRender) -> None:
    unit = example.instance_variant(
        "service/orders-table/test", "single-key", {"sort_key": None, "ttl_attribute": None}
    )

    [table] = resources_of_type(unit, "AWS::DynamoDB::Table").values()

    assert table["Properties"]["KeySchema"] == [{"AttributeName": "order_id", "KeyType": "HASH"}]
    assert "TimeToLiveSpecification" not in table["Properties"]
    assert_lints_clean(unit)


@pytest.mark.parametrize("major", ["15", "16", "17"])
def test_every_offered_postgres_major_lints_clean(example: ExampleRender, major: str) -> None:
    unit = example.instance_variant(
        "service/orders-db/test", f"pg{major}", {"engine_version": major}
    )

    [database] = resources_of_type(unit, "AWS::RDS::DBInstance").values()

    assert database["Properties"]["EngineVersion"].startswith(f"{major}.")
    assert_lints_clean(unit)


def test_maximum_below_the_minimum_scales_to_the_minimum(example: ExampleRender) -> None:
    unit = example.instance_variant(
        "service/web/production", "pinned", {"desired_count": 3, "max_count": 1}
    )

    [target] = resources_of_type(unit, "AWS::ApplicationAutoScaling::ScalableTarget").values()

    assert (target["Properties"]["MinCapacity"], target["Properties"]["MaxCapacity"]) == (3, 3)
    assert_lints_clean(unit)


def test_web_service_without_bindings_keeps_only_the_base_policy(
    example: ExampleRender,
) -> None:
    unit = example.instance_variant("service/web/test", "alone", {}, bound=False)

    [role] = resources_of_type(unit, "AWS::IAM::Role").values()

    assert len(role["Properties"]["ManagedPolicyArns"]) == 1
    assert_lints_clean(unit)


def test_pipeline_of_a_single_instance_asks_for_no_approval(example: ExampleRender) -> None:
    unit = example.pipeline_variant("web", ["test"])

    [pipeline] = resources_of_type(unit, "AWS::CodePipeline::Pipeline").values()
    categories = [
        action["ActionTypeId"]["Category"]
        for stage in pipeline["Properties"]["Stages"]
        for action in stage["Actions"]
    ]

    assert categories == ["Source", "Build", "Build"]
    assert_lints_clean(unit)
