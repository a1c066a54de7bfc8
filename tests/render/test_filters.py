"""Proton's four filters, against the examples of the AWS Proton user guide."""

from __future__ import annotations

import pytest
from ruamel.yaml import YAML

from reconciler.errors import RenderError
from tests.render.conftest import Render, instance_context

# The component outputs of the guide's examples.
GUIDE_OUTPUTS = {"Output1": "hello", "Output2": "world"}
POLICIES = {
    "Output1": "hello",
    "PolicyArn1": "arn:aws:iam::123456789012:policy/cfn-generated-policy-name-1",
    "PolicyArn2": "arn:aws:iam::123456789012:policy/cfn-generated-policy-name-2",
}


def _with_component(outputs: dict[str, str]) -> dict[str, object]:
    return instance_context(components={"default": outputs})


def test_ecs_env_vars_render_as_the_guide_shows(render: Render) -> None:
    source = (
        "      ContainerDefinitions:\n"
        "        - Name: MyServiceName\n"
        "          Environment:\n"
        "            {{ service_instance.components.default.outputs\n"
        "              | proton_cfn_ecs_task_definition_formatted_env_vars }}"
    )
    assert render(source, _with_component(GUIDE_OUTPUTS)) == (
        "      ContainerDefinitions:\n"
        "        - Name: MyServiceName\n"
        "          Environment:\n"
        "            - Name: Output1\n"
        "              Value: hello\n"
        "            - Name: Output2\n"
        "              Value: world"
    )


def test_lambda_env_vars_render_as_the_guide_shows(render: Render) -> None:
    source = (
        "      Environment:\n"
        "        Variables:\n"
        "          {{ service_instance.components.default.outputs\n"
        "            | proton_cfn_lambda_function_formatted_env_vars }}"
    )
    assert render(source, _with_component(GUIDE_OUTPUTS)) == (
        "      Environment:\n        Variables:\n          Output1: hello\n          Output2: world"
    )


def test_iam_policy_arns_keeps_only_policy_arns_as_the_guide_shows(render: Render) -> None:
    source = (
        "      ManagedPolicyArns:\n"
        "        - !Ref BaseTaskRoleManagedPolicy\n"
        "        {{ service_instance.components.default.outputs\n"
        "            | proton_cfn_iam_policy_arns }}"
    )
    assert render(source, _with_component(POLICIES)) == (
        "      ManagedPolicyArns:\n"
        "        - !Ref BaseTaskRoleManagedPolicy\n"
        "        - arn:aws:iam::123456789012:policy/cfn-generated-policy-name-1\n"
        "        - arn:aws:iam::123456789012:policy/cfn-generated-policy-name-2"
    )


def test_iam_policy_arns_of_no_outputs_renders_nothing(render: Render) -> None:
    # After "- !Ref X", "[]" would be invalid YAML (quirk 5).
    source = "Arns:\n  - !Ref X\n  {{ service_instance.components.default.outputs"
    source += " | proton_cfn_iam_policy_arns }}\nNext: 1"
    assert render(source) == "Arns:\n  - !Ref X\n  \nNext: 1"


def test_ecs_and_lambda_env_vars_of_no_outputs_are_an_empty_list_and_mapping(
    render: Render,
) -> None:
    outputs = "service_instance.components.default.outputs"
    source = f"{{{{ {outputs} | proton_cfn_ecs_task_definition_formatted_env_vars }}}} "
    source += f"{{{{ {outputs} | proton_cfn_lambda_function_formatted_env_vars }}}}"
    assert render(source) == "[] {}"


def test_env_var_values_that_yaml_would_not_read_as_strings_are_quoted(render: Render) -> None:
    outputs = {"Port": "80", "Flag": "yes", "Text": "a: b #c", "Empty": ""}
    source = "Variables:\n  {{ service_instance.components.default.outputs"
    source += " | proton_cfn_lambda_function_formatted_env_vars }}"
    rendered = render(source, _with_component(outputs))
    assert YAML(typ="safe").load(rendered) == {"Variables": outputs}


def test_raw_false_rejects_a_value_outside_the_safe_pattern(render: Render) -> None:
    source = "{{ service_instance.components.default.outputs"
    source += " | proton_cfn_ecs_task_definition_formatted_env_vars(raw=False) }}"
    assert "Value: ok-value_1" in render(source, _with_component({"A": "ok-value_1"}))
    with pytest.raises(RenderError, match=r'Illegal character\(s\) detected in "a b"'):
        render(source, _with_component({"A": "a b"}))


def test_sanitize_passes_a_safe_value_unchanged(render: Render) -> None:
    source = "{{ service_instance.components.default.outputs.Output1 | proton_cfn_sanitize }}"
    assert render(source, _with_component({"Output1": "This-is_valid_37"})) == "This-is_valid_37"


def test_sanitize_passes_an_arn(render: Render) -> None:
    arn = "arn:aws:some-service::123456789012:some-resource/resource-name"
    source = "{{ service_instance.components.default.outputs.SomeArn | proton_cfn_sanitize }}"
    assert render(source, _with_component({"SomeArn": arn})) == arn


def test_sanitize_fails_the_render_with_proton_s_message_and_the_line(render: Render) -> None:
    source = (
        "a: 1\nb: {{ service_instance.components.default.outputs.Output2 | proton_cfn_sanitize }}"
    )
    with pytest.raises(RenderError) as caught:
        render(source, _with_component({"Output2": "this::is::incorrect"}))
    assert caught.value.problem.line == 2
    assert caught.value.problem.message == (
        'Illegal character(s) detected in "this::is::incorrect". '
        "Must match regex ^[a-zA-Z0-9_-]*$ or be a valid ARN"
    )


def test_sanitize_rejects_an_arn_that_carries_yaml_syntax(render: Render) -> None:
    source = "{{ service_instance.inputs.arn | proton_cfn_sanitize }}"
    with pytest.raises(RenderError, match="Illegal character"):
        render(source, arn="arn:aws:s3:::bucket\nInjected: {Ref: X}")


def test_a_mapping_filter_given_a_string_names_what_it_expected(render: Render) -> None:
    with pytest.raises(RenderError, match="proton_cfn_iam_policy_arns expects a mapping"):
        render("{{ service.name | proton_cfn_iam_policy_arns }}")
