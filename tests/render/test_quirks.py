"""Each rendering quirk of RENDERING-NOTES.md that a Proton-compatible renderer reproduces."""

from __future__ import annotations

import pytest

from reconciler.errors import RenderError
from tests.render.conftest import Render, instance_context


def test_block_tags_keep_the_newline_after_them_as_jinja_defaults_do(render: Render) -> None:
    # Pipelines write "Name: Build {%- for %}" and rely on the newline after "%}" (quirk 1).
    source = "Name: Build \n{%- for i in [1, 2] %}\n  - {{ i }}\n{%- endfor %}\nEnd: 1"
    assert render(source) == "Name: Build\n  - 1\n  - 2\nEnd: 1"


def test_leading_whitespace_before_a_block_tag_is_kept(render: Render) -> None:
    assert render("a:\n  {% if true %}b: 1{% endif %}\n") == "a:\n  b: 1"


def test_a_whole_number_input_given_as_float_renders_as_an_integer(render: Render) -> None:
    assert render("Port: {{ service_instance.inputs.port }}", port=80.0) == "Port: 80"


def test_a_whole_number_computed_in_the_template_renders_as_an_integer(render: Render) -> None:
    assert render("Half: {{ service_instance.inputs.port / 2 }}", port=80) == "Half: 40"


def test_a_fractional_number_keeps_its_fraction(render: Render) -> None:
    assert render("Cpu: {{ service_instance.inputs.cpu }}", cpu=0.25) == "Cpu: 0.25"


def test_whole_floats_nested_in_lists_and_mappings_become_integers(render: Render) -> None:
    source = "{{ service_instance.inputs.ports | tojson }}"
    assert render(source, ports=[{"p": 80.0}, 443.0]) == '[{"p": 80}, 443]'


def test_an_input_that_was_not_given_is_absent_not_null(render: Render) -> None:
    source = "{% if service_instance.inputs.code_uri is defined %}set{% else %}absent{% endif %}"
    assert render(source) == "absent"
    assert render(source, code_uri="s3://b/k") == "set"


def test_outputs_of_a_component_that_is_not_attached_read_as_empty(render: Render) -> None:
    source = (
        "{{ service_instance.components.default.outputs | length }} "
        "{{ service_instance.components.default | length }} "
        "{{ service_instance.components | length }}"
    )
    assert render(source) == "0 0 0"


def test_a_missing_component_output_is_an_error_unless_defaulted(render: Render) -> None:
    with pytest.raises(RenderError, match=r"components\.default\.outputs' has no attribute"):
        render("{{ service_instance.components.default.outputs.Bucket }}")
    defaulted = "{{ service_instance.components.default.outputs.Bucket | default('none') }}"
    assert render(defaulted) == "none"


def test_an_attached_component_exposes_its_outputs(render: Render) -> None:
    context = instance_context(components={"default": {"Bucket": "my-bucket"}})
    assert render("{{ service_instance.components.default.outputs.Bucket }}", context) == (
        "my-bucket"
    )


def test_truncate_with_killwords_custom_end_and_no_leeway(render: Render) -> None:
    source = "{{ (service.name ~ '--' ~ service_instance.name ~ '-abcdefghijklmnopqrstuvwxyz')"
    source += " | truncate(29, true, 'zzz', 0) }}"
    rendered = render(source)
    assert rendered == "web--test-abcdefghijklmnopzzz"
    assert len(rendered) == 29


def test_tojson_sorts_keys(render: Render) -> None:
    assert render("{{ {'b': 1, 'a': 2} | tojson }}") == '{"a": 2, "b": 1}'


def test_dict_literals_can_be_subscripted_by_an_input(render: Render) -> None:
    source = "{{ {'python3.8': {'python': '3.8'}}[service_instance.inputs.rt] | tojson | safe }}"
    assert render(source, rt="python3.8") == '{"python": "3.8"}'


def test_loop_index_counts_from_one(render: Render) -> None:
    assert render("{% for x in ['a', 'b'] %}{{ loop.index }}{{ x }} {% endfor %}") == "1a 2b "


def test_multi_line_filter_output_is_indented_to_the_column_of_the_call(render: Render) -> None:
    source = (
        "Environment:\n"
        "  - Name: A\n"
        "    Value: a\n"
        "  {{ service_instance.components.default.outputs\n"
        "      | proton_cfn_ecs_task_definition_formatted_env_vars }}\n"
        "Next: 1"
    )
    context = instance_context(components={"default": {"B": "b", "C": "c"}})
    assert render(source, context) == (
        "Environment:\n"
        "  - Name: A\n"
        "    Value: a\n"
        "  - Name: B\n"
        "    Value: b\n"
        "  - Name: C\n"
        "    Value: c\n"
        "Next: 1"
    )


def test_reindentation_measures_the_column_in_the_output_not_the_source(render: Render) -> None:
    # The call sits at column 4 in the output even though "{{ pad }}" is 9 wide in the source.
    source = (
        "{{ pad }}{{ service_instance.components.default.outputs | proton_cfn_iam_policy_arns }}"
    )
    arns = {"A": "arn:aws:iam::123456789012:policy/a", "B": "arn:aws:iam::123456789012:policy/b"}
    context = instance_context(components={"default": arns})
    context["pad"] = "    "
    assert render(source, context) == (
        "    - arn:aws:iam::123456789012:policy/a\n    - arn:aws:iam::123456789012:policy/b"
    )


def test_tojson_serializes_the_attached_components(render: Render) -> None:
    context = instance_context(components={"default": {"B": "b"}})
    assert render("{{ service_instance.components | tojson }}", context) == (
        '{"default": {"outputs": {"B": "b"}}}'
    )
