"""Which Proton unit a stack was, read from its ``proton:*`` tags, and the estate they form.

Proton's stack names cut every name part to about 15 characters, so only the tags name a
stack's unit. Their values are full Proton ARNs (the Proton user guide, "Proton resources
and tagging"): ``arn:aws:proton:<region>:<account>:environment/<env>``,
``…:service/<svc>``, ``…:service/<svc>/service-instance/<instance>``,
``…:component/<name>``, ``…:environment-template/<t>`` or ``…:service-template/<t>``.
Which tags a stack carries says what it was:

=================  ============================================================
kind               tags
=================  ============================================================
environment        proton:environment, proton:template (environment-template)
service instance   proton:service-instance, proton:service, proton:environment,
                   proton:template (service-template)
pipeline           proton:service, proton:template (service-template), no instance
component          proton:component, proton:service-instance, proton:environment
=================  ============================================================

Pure: tags in, units or a per-stack problem out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

UnitKind = Literal["environment", "service", "pipeline", "component"]

TAG_PREFIX = "proton:"
_ARN = re.compile(
    r"arn:(?P<partition>aws[a-z-]*):proton:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"(?P<resource>.+)"
)
_NAME = r"[0-9A-Za-z][0-9A-Za-z_-]*"
_RESOURCES = {
    "environment": re.compile(rf"environment/(?P<environment>{_NAME})"),
    "service": re.compile(rf"service/(?P<service>{_NAME})"),
    "service-instance": re.compile(
        rf"service/(?P<service>{_NAME})/service-instance/(?P<instance>{_NAME})"
    ),
    "component": re.compile(rf"component/(?P<component>{_NAME})"),
    "template": re.compile(
        rf"(?P<template_kind>environment|service)-template/(?P<template>{_NAME})"
    ),
}


@dataclass(frozen=True)
class ProtonUnit:
    """What one stack was in Proton, in Goldenpath's unit words."""

    kind: UnitKind
    environment: str | None = None
    service: str | None = None
    instance: str | None = None
    component: str | None = None
    template: str | None = None

    @property
    def id(self) -> str:
        """``environment/<env>``, ``service/<svc>/<instance>``, ``pipeline/<svc>``, …"""
        if self.kind == "environment":
            return f"environment/{self.environment}"
        if self.kind == "service":
            return f"service/{self.service}/{self.instance}"
        if self.kind == "pipeline":
            return f"pipeline/{self.service}"
        return f"component/{self.service}/{self.instance}/{self.component}"


class TagError(ValueError):
    """A stack's ``proton:*`` tags are missing or malformed; says which and what was expected."""


def proton_unit(tags: Mapping[str, str]) -> ProtonUnit:
    """The unit a stack was, from its tags; ``TagError`` when they do not say."""
    found = {key: value for key, value in tags.items() if key.startswith(TAG_PREFIX)}
    if not found:
        raise TagError(
            "no proton:* tags: expected proton:environment, proton:service, "
            "proton:service-instance or proton:component with a Proton ARN"
        )
    parts: dict[str, str] = {}
    for key in ("environment", "service", "service-instance", "component", "template"):
        value = found.get(TAG_PREFIX + key)
        if value is not None:
            parts.update(_resource(key, value))
    if "proton:component" in found:
        _require(found, "proton:service-instance", "a component stack")
        return ProtonUnit(
            "component",
            environment=parts.get("environment"),
            service=parts["service"],
            instance=parts["instance"],
            component=parts["component"],
        )
    if "proton:service-instance" in found:
        _require(found, "proton:environment", "a service instance stack")
        template = _template(found, parts, "service", "a service instance stack")
        return ProtonUnit(
            "service",
            environment=parts["environment"],
            service=parts["service"],
            instance=parts["instance"],
            template=template,
        )
    if "proton:service" in found:
        template = _template(found, parts, "service", "a pipeline stack")
        return ProtonUnit("pipeline", service=parts["service"], template=template)
    if "proton:environment" in found:
        template = _template(found, parts, "environment", "an environment stack")
        return ProtonUnit("environment", environment=parts["environment"], template=template)
    raise TagError(
        f"tags {sorted(found)} name no unit: expected proton:environment, proton:service, "
        "proton:service-instance or proton:component"
    )


def _resource(key: str, value: str) -> dict[str, str]:
    match = _ARN.fullmatch(value)
    pattern = _RESOURCES[key]
    resource = pattern.fullmatch(match["resource"]) if match else None
    if resource is None:
        example = {
            "environment": "environment/<name>",
            "service": "service/<name>",
            "service-instance": "service/<service>/service-instance/<instance>",
            "component": "component/<name>",
            "template": "environment-template/<name> or service-template/<name>",
        }[key]
        raise TagError(
            f"tag proton:{key} is {value!r}: expected a Proton ARN "
            f"arn:aws:proton:<region>:<account>:{example}"
        )
    return {k: v for k, v in resource.groupdict().items() if v is not None}


def _require(found: Mapping[str, str], key: str, what: str) -> None:
    if key not in found:
        raise TagError(f"{what} must carry {key} (a Proton ARN); it is missing")


def _template(found: Mapping[str, str], parts: Mapping[str, str], kind: str, what: str) -> str:
    _require(found, "proton:template", what)
    if parts.get("template_kind") != kind:
        raise TagError(
            f"tag proton:template of {what} is {found['proton:template']!r}: "
            f"expected a {kind}-template ARN"
        )
    return parts["template"]


@dataclass(frozen=True)
class FoundStack:
    """A Proton stack found in an account: where it is and which unit it was."""

    account: str
    region: str
    stack_name: str
    stack_id: str
    unit: ProtonUnit
    outputs: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StackProblem:
    """A stack that could not be taken: where it is, and why."""

    account: str
    region: str
    stack_name: str
    message: str

    def __str__(self) -> str:
        return f"{self.stack_name} ({self.account}/{self.region}): {self.message}"


@dataclass(frozen=True)
class Estate:
    """The units found, grouped: environments, services with instances, pipelines, components."""

    environments: Mapping[str, FoundStack]
    instances: Mapping[str, Mapping[str, FoundStack]]  # service → instance → stack
    pipelines: Mapping[str, FoundStack]
    components: tuple[FoundStack, ...]
    problems: tuple[StackProblem, ...]

    @property
    def services(self) -> list[str]:
        return sorted(set(self.instances) | set(self.pipelines))


def group(stacks: Iterable[FoundStack], problems: Iterable[StackProblem] = ()) -> Estate:
    """Group found stacks by unit; two stacks claiming one unit are both refused."""
    by_unit: dict[str, list[FoundStack]] = {}
    for stack in stacks:
        by_unit.setdefault(stack.unit.id, []).append(stack)
    refused = list(problems)
    environments: dict[str, FoundStack] = {}
    instances: dict[str, dict[str, FoundStack]] = {}
    pipelines: dict[str, FoundStack] = {}
    components: list[FoundStack] = []
    for unit_id, claims in sorted(by_unit.items()):
        if len(claims) > 1:
            names = ", ".join(f"{c.stack_name} ({c.account}/{c.region})" for c in claims)
            refused.extend(
                StackProblem(
                    c.account,
                    c.region,
                    c.stack_name,
                    f"{len(claims)} stacks claim {unit_id}: {names}; delete or untag the stale one",
                )
                for c in claims
            )
            continue
        stack = claims[0]
        unit = stack.unit
        if unit.kind == "environment":
            environments[str(unit.environment)] = stack
        elif unit.kind == "service":
            instances.setdefault(str(unit.service), {})[str(unit.instance)] = stack
        elif unit.kind == "pipeline":
            pipelines[str(unit.service)] = stack
        else:
            components.append(stack)
    return Estate(environments, instances, pipelines, tuple(components), tuple(refused))
