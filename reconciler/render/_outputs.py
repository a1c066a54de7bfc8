"""Outputs of a stack that is not deployed yet, synthesized in real AWS formats.

Service templates read their environment's outputs. To render and lint a service before its
environment exists (a pull request that adds both, or ``goldenpath validate`` on a fresh
repo), the environment's outputs are synthesized from its rendered template: each Output's
``Value`` is evaluated the way CloudFormation would, with the resources it points to given
values of the right shape (see ``_aws_values``).

What cannot be known offline is settled simply, and the same way each time: ``Fn::If``
takes its first branch that is not ``AWS::NoValue``, ``Fn::ImportValue`` and unknown
functions give a generated token, a parameter without a default gets a value by its type.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from typing import Any

from reconciler.errors import RenderError
from reconciler.render._aws_shapes import SHAPES
from reconciler.render._aws_values import Resource, StackSite, fallback_value

_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")
# Parameter types whose values have the shape of a resource's Ref.
_PARAMETER_SHAPES = {
    "AWS::EC2::VPC::Id": "AWS::EC2::VPC",
    "AWS::EC2::Subnet::Id": "AWS::EC2::Subnet",
    "AWS::EC2::SecurityGroup::Id": "AWS::EC2::SecurityGroup",
}
# Deepest nesting of intrinsic functions followed; real templates nest three or four.
_MAX_DEPTH = 32


def synthesize_outputs(
    rendered_body: str, *, account_id: str, region: str, stack_name: str, file: str = ""
) -> dict[str, str]:
    """The outputs ``rendered_body`` would have once deployed, in realistic AWS formats.

    Deterministic: the same body and stack name always give the same values. ``file`` only
    names the template in the ``RenderError`` raised when the body is not a template.
    """
    # Imported here: cfn-lint is heavy, and most commands never synthesize outputs.
    from cfnlint.decode.decode import decode_str

    template, problems = decode_str(rendered_body)
    if problems or not isinstance(template, dict):
        first = problems[0] if problems else None
        raise RenderError(
            file or stack_name,
            first.linenumber if first is not None else None,
            "cannot synthesize outputs: the rendered template does not parse"
            + (f" ({first.message})" if first is not None else ""),
        )
    stack = _Stack(template, StackSite(account_id, region, stack_name))
    outputs = template.get("Outputs")
    if not isinstance(outputs, dict):
        return {}
    return {
        str(name): stack.evaluate(output.get("Value"), 0)
        for name, output in outputs.items()
        if isinstance(output, dict)
    }


class _Stack:
    """Evaluates intrinsic functions against one template's resources and parameters."""

    def __init__(self, template: Mapping[str, Any], site: StackSite) -> None:
        self.site = site
        self.resources = _mapping(template.get("Resources"))
        self.parameters = _mapping(template.get("Parameters"))
        self.mappings = _mapping(template.get("Mappings"))

    def evaluate(self, node: Any, depth: int) -> str:
        value = self._value(node, depth)
        return ",".join(value) if isinstance(value, list) else value

    def _value(self, node: Any, depth: int) -> str | list[str]:
        if depth > _MAX_DEPTH:
            return self._token("deep")
        if isinstance(node, bool):
            return "true" if node else "false"
        if isinstance(node, str | int | float):
            return str(node)
        if isinstance(node, list):
            return [self.evaluate(item, depth + 1) for item in node]
        if isinstance(node, dict) and len(node) == 1:
            [(function, argument)] = node.items()
            return self._function(str(function), argument, depth + 1)
        return self._token("value")

    def _function(self, function: str, argument: Any, depth: int) -> str | list[str]:
        if function == "Ref":
            return self.ref(str(argument), depth)
        if function == "Fn::GetAtt":
            parts = argument if isinstance(argument, list) else str(argument).split(".", 1)
            if len(parts) == 2:
                return self.get_att(str(parts[0]), self.evaluate(parts[1], depth))
        elif function == "Fn::Sub":
            return self._sub(argument, depth)
        elif function == "Fn::Join" and isinstance(argument, list) and len(argument) == 2:
            items = self._value(argument[1], depth)
            return str(argument[0]).join(items if isinstance(items, list) else [items])
        elif function == "Fn::Select" and isinstance(argument, list) and len(argument) == 2:
            items = self._value(argument[1], depth)
            items = items if isinstance(items, list) else items.split(",")
            index = int(self.evaluate(argument[0], depth)) if str(argument[0]).isdigit() else 0
            return items[index] if index < len(items) else self._token("select")
        elif function == "Fn::Split" and isinstance(argument, list) and len(argument) == 2:
            return self.evaluate(argument[1], depth).split(str(argument[0]))
        elif function == "Fn::GetAZs":
            return [f"{self.site.region}{zone}" for zone in "abc"]
        elif function == "Fn::If" and isinstance(argument, list) and len(argument) == 3:
            chosen = argument[1] if argument[1] != {"Ref": "AWS::NoValue"} else argument[2]
            return self._value(chosen, depth)
        elif function == "Fn::Base64":
            return base64.b64encode(self.evaluate(argument, depth).encode()).decode()
        elif function == "Fn::FindInMap" and isinstance(argument, list) and len(argument) >= 3:
            return self._find_in_map(argument, depth)
        return self._token(function)

    def ref(self, name: str, depth: int) -> str:
        pseudo = {
            "AWS::Region": self.site.region,
            "AWS::AccountId": self.site.account_id,
            "AWS::StackName": self.site.stack_name,
            "AWS::Partition": self.site.partition,
            "AWS::URLSuffix": self.site.url_suffix,
            "AWS::NoValue": "",
            "AWS::StackId": f"arn:{self.site.partition}:cloudformation:{self.site.region}:"
            f"{self.site.account_id}:stack/{self.site.stack_name}/"
            f"{Resource(self.site, 'AWS::StackId', '').hex(32)}",
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self._parameter(name, depth)
        resource = self._resource(name)
        shape = SHAPES.get(resource.type)
        return shape.ref(resource) if shape else fallback_value(resource, None)

    def get_att(self, name: str, attribute: str) -> str:
        resource = self._resource(name)
        shape = SHAPES.get(resource.type)
        if shape and attribute in shape.attributes:
            return shape.attributes[attribute](resource)
        return fallback_value(resource, attribute)

    def _resource(self, name: str) -> Resource:
        declared = _mapping(self.resources.get(name))
        return Resource(
            self.site, name, str(declared.get("Type", "")), _mapping(declared.get("Properties"))
        )

    def _parameter(self, name: str, depth: int) -> str:
        declared = _mapping(self.parameters.get(name))
        if "Default" in declared:
            return self.evaluate(declared["Default"], depth)
        kind = str(declared.get("Type", "String"))
        shape = SHAPES.get(_PARAMETER_SHAPES.get(kind, ""))
        resource = Resource(self.site, name, kind)
        return shape.ref(resource) if shape else fallback_value(resource, None)

    def _sub(self, argument: Any, depth: int) -> str:
        text, variables = (
            (argument[0], _mapping(argument[1]))
            if isinstance(argument, list) and len(argument) == 2
            else (argument, {})
        )

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return self.evaluate(variables[name], depth)
            if "." in name and name.split(".", 1)[0] in self.resources:
                resource, attribute = name.split(".", 1)
                return self.get_att(resource, attribute)
            return self.ref(name, depth)

        return _SUB_VARIABLE.sub(substitute, str(text))

    def _find_in_map(self, argument: list[Any], depth: int) -> str:
        keys = [self.evaluate(key, depth) for key in argument[:3]]
        found = _mapping(_mapping(self.mappings.get(keys[0])).get(keys[1])).get(keys[2])
        return self.evaluate(found, depth) if found is not None else self._token("map")

    def _token(self, what: str) -> str:
        return f"{what.replace('::', '-').lower()}-{Resource(self.site, what, '').hex(12)}"


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}
