"""Bindings: a bound service's outputs reach the binder as environment variables, and its
access policy is attached to the binder's role.

The values compared are the synthesized outputs of the bound instance's own rendered
template, so these tests follow the templates, not a copy of their output names.
"""

from __future__ import annotations

from typing import Any

from tests.example.conftest import RenderedUnit, resources_of_type


def container_environment(unit: RenderedUnit) -> dict[str, str]:
    [task] = resources_of_type(unit, "AWS::ECS::TaskDefinition").values()
    [container] = task["Properties"]["ContainerDefinitions"]
    return {item["Name"]: item["Value"] for item in container["Environment"]}


def function_environment(unit: RenderedUnit) -> dict[str, str]:
    [function] = resources_of_type(unit, "AWS::Lambda::Function").values()
    return dict(function["Properties"]["Environment"]["Variables"])


def role_policies(unit: RenderedUnit) -> list[Any]:
    [role] = [
        r
        for r in resources_of_type(unit, "AWS::IAM::Role").values()
        if r["Properties"].get("ManagedPolicyArns")
    ]
    return list(role["Properties"]["ManagedPolicyArns"])


def test_database_outputs_reach_the_web_container_named_after_alias_and_output(
    rendered: dict[str, RenderedUnit],
) -> None:
    database = rendered["service/orders-db/test"].outputs

    environment = container_environment(rendered["service/web/test"])

    assert environment["ORDERS_DB_HOST"] == database["Host"]
    assert environment["ORDERS_DB_PORT"] == database["Port"]
    assert environment["ORDERS_DB_SECRET_ARN"] == database["SecretArn"]


def test_private_service_address_reaches_the_web_container(
    rendered: dict[str, RenderedUnit],
) -> None:
    menu_api = rendered["service/menu-api/production"].outputs

    environment = container_environment(rendered["service/web/production"])

    assert environment["MENU_API_URL"] == menu_api["Url"]
    assert environment["MENU_API_URL"].startswith("http://menu-api.production.pizza.internal:")


def test_build_outputs_of_a_bound_service_stay_out_of_the_environment(
    rendered: dict[str, RenderedUnit],
) -> None:
    environment = container_environment(rendered["service/web/test"])

    assert "BuildLanguage" in rendered["service/menu-api/test"].outputs
    assert [name for name in environment if name.startswith("MENU_API_BUILD")] == []


def test_bound_database_access_policy_is_attached_to_the_task_role(
    rendered: dict[str, RenderedUnit],
) -> None:
    policy = rendered["service/orders-db/test"].outputs["AccessPolicyArn"]

    assert policy in role_policies(rendered["service/web/test"])


def test_binding_a_service_without_an_access_policy_attaches_nothing_more(
    rendered: dict[str, RenderedUnit],
) -> None:
    # web binds menu-api (no policy) and orders-db (one): one policy beyond the base one.
    policies = role_policies(rendered["service/web/test"])

    assert len(policies) == 2


def test_table_outputs_and_policy_reach_the_function(rendered: dict[str, RenderedUnit]) -> None:
    table = rendered["service/orders-table/staging"].outputs
    function = rendered["service/order-events/staging"]

    environment = function_environment(function)

    assert environment["ORDERS_TABLE_TABLE_NAME"] == table["TableName"]
    assert environment["ORDERS_TABLE_TABLE_ARN"] == table["TableArn"]
    assert table["AccessPolicyArn"] in role_policies(function)


def test_bucket_outputs_reach_the_private_service(rendered: dict[str, RenderedUnit]) -> None:
    bucket = rendered["service/menu-images/production"].outputs

    environment = container_environment(rendered["service/menu-api/production"])

    assert environment["MENU_IMAGES_BUCKET_NAME"] == bucket["BucketName"]


def test_an_instance_without_bindings_gets_only_the_platform_variables(
    rendered: dict[str, RenderedUnit],
) -> None:
    # menu-images has no bindings of its own; menu-api binds only menu-images.
    environment = container_environment(rendered["service/menu-api/test"])

    assert {name for name in environment if not name.startswith("MENU_IMAGES_")} == {
        "GOLDENPATH_SERVICE",
        "GOLDENPATH_ENVIRONMENT",
        "PORT",
    }
