"""The context builders lay out Proton's namespaces as its templates read them."""

from __future__ import annotations

from reconciler.render import (
    EnvironmentInfo,
    InstanceInfo,
    Renderer,
    ServiceInfo,
    environment_context,
    pipeline_context,
    service_instance_context,
)
from tests.render.conftest import ACCOUNT, Render, template

TEST_ENV = EnvironmentInfo(name="test", account_id=ACCOUNT, outputs={"VpcId": "vpc-1"})
SERVICE = ServiceInfo(
    name="web",
    repository_id="org/web",
    repository_connection_arn="arn:aws:codestar-connections:us-west-2:111111111111:connection/x",
    branch_name="main",
)


def test_environment_context_exposes_name_account_and_inputs() -> None:
    context = environment_context(
        name="prod", account_id=ACCOUNT, inputs={"vpc_cidr": "10.0.0.0/16"}
    )
    assert context == {
        "environment": {
            "name": "prod",
            "account_id": ACCOUNT,
            "inputs": {"vpc_cidr": "10.0.0.0/16"},
        }
    }


def test_environment_context_without_outputs_leaves_them_undefined() -> None:
    source = "{{ 'yes' if environment.outputs is defined else 'no' }}"
    context = environment_context(name="prod", account_id=ACCOUNT, inputs={})
    assert Renderer().render(template(source), context) == "no"


def test_service_instance_context_has_the_instance_the_service_and_top_level_environment(
    render: Render,
) -> None:
    context = service_instance_context(
        service=SERVICE, instance_name="front", inputs={"port": 80}, environment=TEST_ENV
    )
    source = (
        "{{ service.name }} {{ service.repository_id }} {{ service.branch_name }} "
        "{{ service_instance.name }} {{ service_instance.inputs.port }} "
        "{{ service_instance.environment.name }} {{ service_instance.environment.account_id }} "
        "{{ service_instance.environment.outputs.VpcId }} "
        "{{ environment.name }} {{ environment.account_id }} {{ environment.outputs.VpcId }}"
    )
    assert render(source, context) == (
        f"web org/web main front 80 test {ACCOUNT} vpc-1 test {ACCOUNT} vpc-1"
    )


def test_repository_fields_that_are_not_set_are_undefined(render: Render) -> None:
    context = service_instance_context(
        service=ServiceInfo(name="web"), instance_name="i", inputs={}, environment=TEST_ENV
    )
    assert render("{{ service.repository_id is defined }}", context) == "False"


def test_bindings_expose_the_bound_instance_outputs_by_alias(render: Render) -> None:
    context = service_instance_context(
        service=SERVICE,
        instance_name="front",
        inputs={},
        environment=TEST_ENV,
        bindings={"orders_db": {"TableName": "orders"}},
    )
    assert (
        render("{{ service_instance.bindings.orders_db.outputs.TableName }}", context) == "orders"
    )


def test_components_expose_their_outputs_by_name(render: Render) -> None:
    context = service_instance_context(
        service=SERVICE,
        instance_name="front",
        inputs={},
        environment=TEST_ENV,
        components={"default": {"BucketName": "b"}},
    )
    source = "{{ service_instance.components.default.outputs.BucketName }} "
    source += "{{ service_instance.components | list }}"
    assert render(source, context) == "b ['default']"


def test_pipeline_context_lists_instances_with_their_own_outputs(render: Render) -> None:
    prod = EnvironmentInfo(name="prod", account_id="333333333333", outputs={})
    context = pipeline_context(
        service=SERVICE,
        inputs={"unit_test_command": "make test"},
        instances=[
            InstanceInfo(
                name="a",
                inputs={"port": 80},
                environment=TEST_ENV,
                outputs={"LambdaRuntime": "python3.12"},
            ),
            InstanceInfo(name="b", inputs={}, environment=prod, outputs={}),
        ],
    )
    source = (
        "{{ pipeline.inputs.unit_test_command }};"
        "{% for i in service_instances %}{{ i.name }} {{ i.environment.account_id }} "
        "{{ i.environment.name }};{% endfor %}"
        "{{ service_instances[0].outputs.LambdaRuntime }} {{ service_instances[0].inputs.port }}"
    )
    assert render(source, context) == (
        f"make test;a {ACCOUNT} test;b 333333333333 prod;python3.12 80"
    )
