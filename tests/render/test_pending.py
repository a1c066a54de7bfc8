"""Outputs not known yet render as visible placeholders, and can be found again."""

from __future__ import annotations

import pytest
from ruamel.yaml import YAML

from reconciler.render import (
    PLACEHOLDER_PREFIX,
    EnvironmentInfo,
    PendingOutputs,
    PendingValue,
    ServiceInfo,
    pending_values,
    service_instance_context,
)
from tests.render.conftest import Render


def _pending_context(**components: PendingOutputs) -> dict[str, object]:
    return service_instance_context(
        service=ServiceInfo(name="web"),
        instance_name="test",
        inputs={},
        environment=EnvironmentInfo("test", "111111111111", PendingOutputs("environment/test")),
        components=components,
    )


def test_a_pending_output_renders_as_a_visible_placeholder(render: Render) -> None:
    rendered = render("VpcId: {{ environment.outputs.VpcId }}", _pending_context())
    assert rendered == f"VpcId: {PLACEHOLDER_PREFIX}environment/test.VpcId"


@pytest.mark.parametrize("quote", ["", "'", '"'])
def test_a_placeholder_reads_back_unchanged_from_plain_and_quoted_yaml(
    render: Render, quote: str
) -> None:
    source = f"Subnets:\n  - {quote}{{{{ environment.outputs.Subnet1 }}}}{quote} # comment"
    loaded = YAML(typ="safe").load(render(source, _pending_context()))
    assert loaded == {"Subnets": ["known-after-apply:environment/test.Subnet1"]}


def test_pending_values_lists_each_placeholder_once_in_order(render: Render) -> None:
    source = (
        "a: '{{ environment.outputs.VpcId }}'\n"
        "b: {{ environment.outputs.Cluster }}/x\n"
        'c: \'{"ping":"{{ environment.outputs.VpcId }}"}\''
    )
    assert pending_values(render(source, _pending_context())) == (
        PendingValue("environment/test", "VpcId"),
        PendingValue("environment/test", "Cluster"),
    )


def test_filters_over_pending_outputs_leave_a_placeholder_not_nothing(render: Render) -> None:
    context = _pending_context(default=PendingOutputs("component/web/test/default"))
    source = "Arns:\n  - !Ref X\n  {{ service_instance.components.default.outputs"
    source += " | proton_cfn_iam_policy_arns }}"
    rendered = render(source, context)
    assert pending_values(rendered) == (PendingValue("component/web/test/default", "*"),)


def test_a_pending_output_passes_the_validating_filters(render: Render) -> None:
    source = "{{ environment.outputs.Arn | proton_cfn_sanitize }}"
    assert render(source, _pending_context()) == "known-after-apply:environment/test.Arn"


def test_pending_outputs_count_as_non_empty_so_guarded_blocks_still_render(
    render: Render,
) -> None:
    context = _pending_context(default=PendingOutputs("component/web/test/default"))
    source = "{% if service_instance.components.default.outputs | length > 0 %}shown{% endif %}"
    assert render(source, context) == "shown"


def test_a_body_without_placeholders_has_no_pending_values() -> None:
    assert pending_values("VpcId: vpc-0123456789abcdef0") == ()


def test_pending_outputs_refuse_a_malformed_unit_id() -> None:
    with pytest.raises(ValueError, match="not of the form kind/name"):
        PendingOutputs("environment test")


def test_pending_outputs_printed_whole_leave_a_placeholder(render: Render) -> None:
    rendered = render("Outputs: {{ environment.outputs }}", _pending_context())
    assert pending_values(rendered) == (PendingValue("environment/test", "*"),)


def test_pending_outputs_serialize_to_json_with_a_placeholder(render: Render) -> None:
    rendered = render("{{ environment.outputs | tojson }}", _pending_context())
    assert rendered == '{"*": "known-after-apply:environment/test.*"}'
