"""Simulated resources: moto CloudFormation models that create nothing but look real.

moto's CloudFormation engine creates each resource through a model class
(``create_from_cloudformation_json``) and resolves ``Ref``/``Fn::GetAtt`` through the
instance (``physical_resource_id``, ``get_cfn_attribute``). A simulated resource plays that
part for a type in the catalog: it draws its ids once, formats its ``Ref`` and attributes
the way AWS does, survives in-place updates with the same ids, gets new ids when a
create-only property changes (a replacement, as in AWS), and deletes as a no-op.

The stack lifecycle marks every event and resource description of a simulated resource
with ``simulated_reason`` (see ``reason``), so ``status`` and the demo can tell the user.
"""

from __future__ import annotations

import secrets
import string
import uuid
from collections.abc import Mapping
from functools import cache
from typing import Any, ClassVar

from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
from moto.core.common_models import CloudFormationModel

from emulator.resource_schemas import create_only_properties
from emulator.simulated.catalog import CATALOG, SimulatedType

# The random suffix CloudFormation appends to generated names (12-13 characters in AWS).
GENERATED_SUFFIX_LENGTH = 12


def _draw(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def draw_tokens() -> dict[str, str]:
    """The random parts of one resource's ids, drawn once and kept across updates."""
    lower = string.ascii_lowercase + string.digits
    upper = string.ascii_uppercase + string.digits
    return {
        "uuid": str(uuid.uuid4()),
        "hex8": secrets.token_hex(4),
        "hex17": secrets.token_hex(9)[:17],
        "hex32": secrets.token_hex(16),
        "lower6": _draw(string.ascii_lowercase, 6),
        "lower10": _draw(lower, 10),
        "lower12": _draw(lower, 12),
        "lower16": _draw(lower, 16),
        "upper12": _draw(upper, 12),
        "upper20": _draw(upper, 20),
        "upper26": _draw(upper, 26),
        "alnum6": _draw(string.ascii_letters + string.digits, 6),
    }


class _Properties(dict[str, str]):
    """Properties as format fields; a property the template left out reads as empty."""

    def __missing__(self, key: str) -> str:
        return ""


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def shorten(name: str, limit: int) -> str:
    """Fit a generated name into a limit, keeping its random suffix (as CloudFormation does)."""
    if len(name) <= limit:
        return name
    keep = min(GENERATED_SUFFIX_LENGTH, limit)
    return name[: limit - keep].rstrip("-") + name[-keep:]


def _property_at(properties: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = properties
    for part in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


class SimulatedResource(CloudFormationModel):
    """One simulated resource; ``kind`` is set on the per-type subclass."""

    kind: ClassVar[SimulatedType]

    def __init__(
        self,
        logical_id: str,
        stack_name: str,
        account_id: str,
        region_name: str,
        name: str,
        properties: Mapping[str, Any],
        tokens: Mapping[str, str],
    ) -> None:
        self.logical_resource_id = logical_id
        self.cf_resource_type = self.kind.type_name
        self.stack_name = stack_name
        self.account_id = account_id
        self.region_name = region_name
        self.name = name
        self.properties = dict(properties)
        self.tokens = dict(tokens)
        self.simulated_target: str | None = None
        """Set when simulated only because it points at this simulated resource."""
        fields = self._fields()
        self._physical_id = self.kind.ref.format_map(fields)
        self.attribute_values = {
            attribute: template.format_map(fields)
            for attribute, template in self.kind.attributes.items()
        }

    def _fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "partition": "aws",
            "region": self.region_name,
            "account": self.account_id,
            "stack_name": self.stack_name,
            "logical_id": self.logical_resource_id,
            "name": self.name,
            "p": _Properties({key: _as_text(value) for key, value in self.properties.items()}),
        }
        fields.update(self.tokens)
        if self.kind.extras is not None:
            fields.update(self.kind.extras(self.properties))
        return fields

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "Goldenpath::Simulated"

    @property
    def physical_resource_id(self) -> str:
        return self._physical_id

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in cls.kind.attributes

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        if attribute_name not in self.attribute_values:
            raise UnformattedGetAttTemplateException()
        return self.attribute_values[attribute_name]

    @classmethod
    def _name_for(cls, generated: str, properties: Mapping[str, Any]) -> str:
        kind = cls.kind
        if kind.name_property and properties.get(kind.name_property):
            return _as_text(properties[kind.name_property])
        name = generated.lower() if kind.lower_case_name else generated
        return shorten(name, kind.name_limit)

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> SimulatedResource:
        properties = cloudformation_json.get("Properties") or {}
        stack_name = str(kwargs.get("StackId", "")).split("/")[1:2] or [""]
        return cls(
            logical_id=str(kwargs.get("LogicalId", "")),
            stack_name=stack_name[0],
            account_id=account_id,
            region_name=region_name,
            name=cls._name_for(resource_name, properties),
            properties=properties,
            tokens=draw_tokens(),
        )

    def needs_replacement(self, properties: Mapping[str, Any]) -> bool:
        """Whether new properties change one that AWS can only set at creation."""
        paths = list(create_only_properties(self.kind.type_name))
        if self.kind.name_property:
            paths.append((self.kind.name_property,))
        return any(
            _property_at(self.properties, path) != _property_at(properties, path) for path in paths
        )

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> SimulatedResource:
        properties = cloudformation_json.get("Properties") or {}
        replaced = original_resource.needs_replacement(properties)
        return cls(
            logical_id=original_resource.logical_resource_id,
            stack_name=original_resource.stack_name,
            account_id=account_id,
            region_name=region_name,
            name=cls._name_for(new_resource_name, properties)
            if replaced
            else original_resource.name,
            properties=properties,
            tokens=draw_tokens() if replaced else original_resource.tokens,
        )

    @classmethod
    def delete_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> None:
        """Nothing exists in any moto service, so there is nothing to delete."""

    def delete(self, account_id: str, region_name: str) -> None:
        """Nothing exists in any moto service, so there is nothing to delete."""


@cache
def simulated_model(resource_type: str) -> type[SimulatedResource] | None:
    """The model class for a catalogued type (one class per type), or None."""
    kind = CATALOG.get(resource_type)
    if kind is None:
        return None
    class_name = "Simulated" + resource_type.replace("::", "")
    namespace = {"kind": kind, "cloudformation_type": staticmethod(lambda: resource_type)}
    return type(class_name, (SimulatedResource,), namespace)
