"""Fix ``noop-update``: an unchanged update must be refused.

CloudFormation answers an ``UpdateStack`` that changes nothing with
``ValidationError: No updates are to be performed.``; tools such as Sceptre rely on it.
moto 5.2.5's ``_validate_different_update`` compares the stack's *resolved* parameters
(``Type: Number`` already turned into ``int``) with the submitted strings, so ``80 !=
"80"`` and the unchanged update runs; it also skips the comparison entirely when the call
carries no parameters.

The patch resolves both sides the way CloudFormation does (given value, else previous
value when asked, else the template default; numbers and lists compared as text) and
compares the parsed templates, a resource without ``Properties`` equal to one with empty
ones (moto adds those to the stored template).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from emulator.fixes import fix_enabled

NAME = "noop-update"
NO_UPDATES = "No updates are to be performed."


def parameter_text(value: Any) -> str:
    """A parameter value as CloudFormation holds it: text, lists comma-joined."""
    if isinstance(value, list | tuple):
        return ",".join(parameter_text(item) for item in value)
    return str(value)


def _normalized(declared_type: str, text: str) -> str:
    if declared_type != "Number":
        return text
    for number_type in (int, float):
        try:
            return str(number_type(text))
        except ValueError:
            continue
    return text


def resolve_parameters(declared: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, str]:
    """Every declared parameter's value: the given one, else the default, as text."""
    resolved = {}
    for name, declaration in declared.items():
        declaration = declaration or {}
        if name in given:
            text = parameter_text(given[name])
        elif "Default" in declaration:
            text = parameter_text(declaration["Default"])
        else:
            continue
        resolved[name] = _normalized(str(declaration.get("Type", "String")), text)
    return resolved


def submitted_parameters(
    incoming: list[dict[str, Any]], previous: Mapping[str, Any]
) -> dict[str, Any]:
    """The values an update submits, with ``UsePreviousValue`` taken from the stack."""
    given: dict[str, Any] = {}
    for parameter in incoming:
        key = parameter["ParameterKey"]
        if parameter.get("UsePreviousValue") and key in previous:
            given[key] = previous[key]
        elif "ParameterValue" in parameter:
            given[key] = parameter["ParameterValue"]
    return given


def _with_properties(template: Any) -> Any:
    """The template with ``Properties: {}`` on each resource that has none: moto adds them
    to the stored template as it creates the stack (see ``resource-without-properties``)."""
    if not isinstance(template, dict) or not isinstance(template.get("Resources"), dict):
        return template
    resources = {
        logical_id: {"Properties": {}, **resource} if isinstance(resource, dict) else resource
        for logical_id, resource in template["Resources"].items()
    }
    return {**template, "Resources": resources}


def is_unchanged(stack: Any, template_body: str, incoming: list[dict[str, Any]]) -> bool:
    """Whether an update submits the stack's current template and parameter values."""
    new_template = stack.parse_template(template_body)
    if _with_properties(new_template) != _with_properties(stack.template_dict):
        return False
    declared = stack.template_dict.get("Parameters") or {}
    before = resolve_parameters(declared, stack.parameters or {})
    after = resolve_parameters(declared, submitted_parameters(incoming, stack.parameters or {}))
    return before == after


def install() -> None:
    from moto.cloudformation.exceptions import ValidationError
    from moto.cloudformation.responses import CloudFormationResponse

    stock_validate = CloudFormationResponse._validate_different_update

    def _validate_different_update(
        self: Any, incoming_params: list[dict[str, Any]] | None, stack_body: str, old_stack: Any
    ) -> None:
        if not fix_enabled(NAME):
            stock_validate(self, incoming_params, stack_body, old_stack)
            return
        if stack_body and is_unchanged(old_stack, stack_body, incoming_params or []):
            raise ValidationError(old_stack.name, message=NO_UPDATES)

    setattr(  # noqa: B010
        CloudFormationResponse, "_validate_different_update", _validate_different_update
    )
