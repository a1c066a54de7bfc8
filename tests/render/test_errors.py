"""Render failures name the template file, the line and what was wrong."""

from __future__ import annotations

import pytest

from reconciler.errors import RenderError, Stalling
from reconciler.render import Renderer
from tests.render.conftest import INSTANCE_PATH, Render, instance_context, template


def _failure(render: Render, source: str, **inputs: object) -> RenderError:
    with pytest.raises(RenderError) as caught:
        render(source, **inputs)
    return caught.value


def test_an_undefined_output_names_the_path_the_key_and_the_line(render: Render) -> None:
    context = instance_context(outputs={"VpcId": "vpc-0123456789abcdef0"})
    with pytest.raises(RenderError) as caught:
        render("a: 1\n\nVpc: '{{ environment.outputs.VpcIdd }}'", context)
    problem = caught.value.problem
    assert (problem.file, problem.line) == (INSTANCE_PATH, 3)
    assert problem.message == "'environment.outputs' has no attribute 'VpcIdd'"


def test_an_undefined_top_level_name_says_it_is_undefined(render: Render) -> None:
    error = _failure(render, "x: 1\n{{ enviroment.name }}")
    assert (error.problem.line, error.problem.message) == (2, "'enviroment' is undefined")


def test_an_undefined_input_used_in_a_comparison_is_an_error(render: Render) -> None:
    error = _failure(render, "{% if service_instance.inputs.kind == 'a' %}x{% endif %}")
    assert error.problem.message == "'service_instance.inputs' has no attribute 'kind'"


def test_an_undefined_list_element_names_the_list(render: Render) -> None:
    error = _failure(render, "{{ service_instance.inputs.subnets[2] }}", subnets=["a"])
    assert error.problem.message == "'service_instance.inputs.subnets' has no element 2"


def test_an_undefined_name_inside_a_loop_reports_the_loop_body_line(render: Render) -> None:
    source = "{% for s in service_instance.inputs.subnets %}\n- {{ s.id }}\n{% endfor %}"
    error = _failure(render, source, subnets=[{"name": "a"}])
    assert error.problem.line == 2


def test_a_syntax_error_names_the_file_and_line(render: Render) -> None:
    error = _failure(render, "a: 1\nb: 2\n{% if %}\n")
    assert (error.problem.file, error.problem.line) == (INSTANCE_PATH, 3)
    assert error.problem.message.startswith("template syntax: ")


def test_an_unknown_filter_is_a_syntax_error_at_its_line(render: Render) -> None:
    error = _failure(render, "a: 1\nb: {{ service.name | proton_cfn_sanitise }}")
    assert error.problem.line == 2
    assert "No filter named 'proton_cfn_sanitise'" in error.problem.message


def test_a_sandbox_escape_is_refused_as_not_allowed(render: Render) -> None:
    error = _failure(render, "a: 1\nb: {{ ''.__class__.__mro__ }}")
    assert error.problem.line == 2
    assert error.problem.message.startswith("not allowed in the template sandbox")


def test_templates_cannot_change_the_context_they_are_given(render: Render) -> None:
    error = _failure(render, "{{ service_instance.inputs.update({'a': 1}) }}", a=0)
    assert "not allowed in the template sandbox" in error.problem.message


@pytest.mark.parametrize("tag", ["{% include 'x.yaml' %}", "{% import 'x.yaml' as x %}"])
def test_templates_cannot_pull_in_other_templates(render: Render, tag: str) -> None:
    error = _failure(render, tag)
    assert "cannot include, import or extend other templates" in error.problem.message


def test_a_python_error_in_an_expression_names_its_type(render: Render) -> None:
    error = _failure(render, "a: 1\nb: {{ 1 // 0 }}")
    assert (error.problem.line, error.problem.message) == (
        2,
        "ZeroDivisionError: integer division or modulo by zero",
    )


def test_render_errors_stall_until_the_next_commit() -> None:
    with pytest.raises(Stalling):
        Renderer().render(template("{{ nope }}"), {})
