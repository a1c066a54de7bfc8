"""Proton's four CloudFormation parameter filters, with the names and behaviour it documents.

Source: the AWS Proton user guide, "Parameter filters for CloudFormation IaC files". Where
the guide is silent, the choices made here are:

* Values are written as YAML scalars that read back as the same string: plain when that is
  safe (``hello``, ARNs), double-quoted otherwise (``"80"``, ``"true"``, ``"a: b"``), since a
  CloudFormation output is always a string.
* An empty mapping gives ``[]`` for the ECS filter and ``{}`` for the Lambda filter, which are
  the YAML values the guide declares ("YAML list of dicts", "YAML dict"). For
  ``proton_cfn_iam_policy_arns`` it gives nothing, because that filter is written after
  other list items, where ``[]`` is invalid YAML (RENDERING-NOTES quirk 5).
* Multi-line results are marked for re-indentation to the column of the call (see
  ``_layout``).
* Placeholders for outputs not known yet pass the validations: they are ours, not input.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from jinja2.exceptions import TemplateRuntimeError

from reconciler.render._layout import mark_block
from reconciler.render._pending import Placeholder

SAFE_VALUE = re.compile(r"^[a-zA-Z0-9_-]*$")
IAM_POLICY_ARN = re.compile(r"^arn:[a-zA-Z-]+:iam::\d{12}:policy/")
# partition:service:region:account:resource, as in "arn:aws:s3:::bucket" or
# "arn:aws:iam::123456789012:role/x". The resource part excludes whitespace, quotes and
# braces, so that a "valid ARN" cannot smuggle YAML or CloudFormation syntax in.
ARN = re.compile(
    r"^arn:aws[a-zA-Z-]*:[a-zA-Z0-9-]+:[a-z0-9-]*:(?:\d{12}|aws)?:[A-Za-z0-9_.:/*+=,@-]+$"
)

# A plain YAML scalar that reads back as this same string: no indicator first, nothing
# that makes it a number, a boolean or null, no ": " or " #".
_PLAIN_SCALAR = re.compile(r"[A-Za-z_/][A-Za-z0-9_./@+=,:-]*")
_YAML_KEYWORDS = frozenset({"y", "yes", "n", "no", "true", "false", "on", "off", "null"})


class ProtonFilterError(TemplateRuntimeError):
    """A Proton filter refused its input; the renderer reports it at the template line."""


def yaml_scalar(value: Any) -> str:
    """``value`` as a YAML scalar that reads back as the same string."""
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    if (
        _PLAIN_SCALAR.fullmatch(text)
        and not text.endswith(":")
        and text.lower() not in _YAML_KEYWORDS
    ):
        return text
    return json.dumps(text)  # a JSON string is a valid double-quoted YAML scalar


def _outputs(filter_name: str, value: Any) -> list[tuple[str, Any]]:
    if not isinstance(value, Mapping):
        raise ProtonFilterError(
            f"{filter_name} expects a mapping of outputs (such as "
            f"service_instance.components.default.outputs), got {type(value).__name__}"
        )
    return [(str(key), item) for key, item in value.items()]


def _check_raw(raw: bool, value: Any) -> None:
    if raw or isinstance(value, Placeholder):
        return
    if not SAFE_VALUE.match(str(value)):
        raise ProtonFilterError(
            f'Illegal character(s) detected in "{value}". Must match regex ^[a-zA-Z0-9_-]*$'
        )


def proton_cfn_ecs_task_definition_formatted_env_vars(outputs: Any, raw: bool = True) -> str:
    """Outputs as the ``Environment`` list of an ECS container definition."""
    items = _outputs("proton_cfn_ecs_task_definition_formatted_env_vars", outputs)
    if not items:
        return "[]"
    lines: list[str] = []
    for name, value in items:
        _check_raw(raw, value)
        lines += (f"- Name: {yaml_scalar(name)}", f"  Value: {yaml_scalar(value)}")
    return mark_block("\n".join(lines))


def proton_cfn_lambda_function_formatted_env_vars(outputs: Any, raw: bool = True) -> str:
    """Outputs as the ``Environment.Variables`` mapping of a Lambda function."""
    items = _outputs("proton_cfn_lambda_function_formatted_env_vars", outputs)
    if not items:
        return "{}"
    lines: list[str] = []
    for name, value in items:
        _check_raw(raw, value)
        lines.append(f"{yaml_scalar(name)}: {yaml_scalar(value)}")
    return mark_block("\n".join(lines))


def proton_cfn_iam_policy_arns(outputs: Any) -> str:
    """The IAM policy ARNs among the outputs, as items to append to ``ManagedPolicyArns``."""
    arns = [
        str(value)
        for _name, value in _outputs("proton_cfn_iam_policy_arns", outputs)
        if isinstance(value, Placeholder) or IAM_POLICY_ARN.match(str(value))
    ]
    return mark_block("\n".join(f"- {yaml_scalar(arn)}" for arn in arns)) if arns else ""


def proton_cfn_sanitize(value: Any) -> Any:
    """``value`` unchanged if it is safe to insert: ``^[a-zA-Z0-9_-]*$`` or an ARN."""
    text = str(value)
    if isinstance(value, Placeholder) or SAFE_VALUE.match(text) or ARN.match(text):
        return value
    raise ProtonFilterError(
        f'Illegal character(s) detected in "{text}". '
        "Must match regex ^[a-zA-Z0-9_-]*$ or be a valid ARN"
    )


PROTON_FILTERS: Mapping[str, Callable[..., Any]] = {
    "proton_cfn_ecs_task_definition_formatted_env_vars": (
        proton_cfn_ecs_task_definition_formatted_env_vars
    ),
    "proton_cfn_lambda_function_formatted_env_vars": proton_cfn_lambda_function_formatted_env_vars,
    "proton_cfn_iam_policy_arns": proton_cfn_iam_policy_arns,
    "proton_cfn_sanitize": proton_cfn_sanitize,
}
