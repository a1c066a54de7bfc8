"""Fix ``getatt-unimplemented``: attributes a moto model does not implement.

When a model's ``get_cfn_attribute`` raises ``NotImplementedError`` (a subnet's
``AvailabilityZone``, for one), moto 5.2.5's ``clean_json`` logs a warning and goes on to
return the unresolved ``{'Fn::GetAtt': [...]}`` dict, which then leaks into properties and
outputs as text.

The patch reads the attribute from the model's field of the same name (``AvailabilityZone``
→ ``availability_zone``), which moto's models mostly have, and otherwise fails the resource
with CloudFormation's error for an unknown attribute. A nested stack's model has no
``get_cfn_attribute`` at all; its ``Outputs.<Name>`` attributes are read from its outputs.
"""

from __future__ import annotations

from typing import Any

from emulator.fixes import fix_enabled

NAME = "getatt-unimplemented"


def _target(argument: Any) -> tuple[str, str] | None:
    if isinstance(argument, str) and "." in argument:
        name, attribute = argument.split(".", 1)
        return name, attribute
    if (
        isinstance(argument, list)
        and len(argument) == 2
        and all(isinstance(p, str) for p in argument)
    ):
        return argument[0], argument[1]
    return None


def _nested_output(stack: Any, name: str, attribute: str) -> Any:
    from moto.cloudformation.exceptions import ValidationError

    wanted = attribute.removeprefix("Outputs.")
    for output in getattr(stack, "outputs", None) or []:
        if attribute.startswith("Outputs.") and output["OutputKey"] == wanted:
            return output["OutputValue"]
    raise ValidationError(
        message=f"Template error: resource {name} does not support attribute type {attribute} "
        "in Fn::GetAtt"
    )


def install() -> None:
    from botocore import xform_name
    from moto.cloudformation import parsing
    from moto.cloudformation.exceptions import ValidationError

    stock_clean_json = parsing.clean_json

    def clean_json(resource_json: Any, resources_map: Any) -> Any:
        if not (
            fix_enabled(NAME) and isinstance(resource_json, dict) and "Fn::GetAtt" in resource_json
        ):
            return stock_clean_json(resource_json, resources_map)
        target = _target(resource_json["Fn::GetAtt"])
        resource = resources_map.get(target[0]) if target else None
        if target is None or resource is None:
            return stock_clean_json(resource_json, resources_map)
        name, attribute = target
        if not hasattr(resource, "get_cfn_attribute"):
            return _nested_output(resource, name, attribute)
        try:
            return resource.get_cfn_attribute(attribute)
        except NotImplementedError:
            value = getattr(resource, xform_name(attribute.replace(".", "")), None)
            if value is None:
                raise ValidationError(
                    message=f"Template error: resource {name} does not support attribute type "
                    f"{attribute} in Fn::GetAtt"
                ) from None
            return value
        except Exception:
            # Let moto report its own errors (unknown attribute, …) as it always has.
            return stock_clean_json(resource_json, resources_map)

    parsing.clean_json = clean_json
