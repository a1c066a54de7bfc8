"""Which resources of a template a resource depends on, and a safe order to delete them.

moto creates a resource's dependencies lazily, in the middle of creating the resource
that needs them, and deletes in whatever order a set yields (retrying what fails). The
lifecycle creates dependencies first (so events come in CloudFormation's order) and
deletes dependents before what they depend on, using the references found here:
``Ref``, ``Fn::GetAtt``, ``${Name}``/``${Name.Attr}`` in ``Fn::Sub``, and ``DependsOn``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from typing import Any

# ${Name} or ${Name.Attribute}; ${!Literal} is an escaped literal and refers to nothing.
_SUB_REFERENCE = re.compile(r"\$\{(?!!)([^}.]+)(?:\.[^}]*)?\}")


def _walk(node: Any, found: list[str], local_names: Collection[str] = ()) -> None:
    if isinstance(node, Mapping):
        if len(node) == 1:
            ((key, value),) = node.items()
            if key == "Ref" and isinstance(value, str):
                found.append(value)
                return
            if key == "Fn::GetAtt":
                target = value[0] if isinstance(value, list) and value else value
                if isinstance(target, str):
                    found.append(target.split(".", 1)[0])
                return
            if key == "Fn::Sub":
                _walk_sub(value, found)
                return
        for value in node.values():
            _walk(value, found, local_names)
    elif isinstance(node, list):
        for item in node:
            _walk(item, found, local_names)


def _walk_sub(value: Any, found: list[str]) -> None:
    if isinstance(value, str):
        found.extend(_SUB_REFERENCE.findall(value))
        return
    if isinstance(value, list) and value:
        variables = value[1] if len(value) > 1 and isinstance(value[1], Mapping) else {}
        if isinstance(value[0], str):
            found.extend(name for name in _SUB_REFERENCE.findall(value[0]) if name not in variables)
        for variable in variables.values():
            _walk(variable, found)


def references(node: Any) -> list[str]:
    """Every name a template fragment refers to, in order, with repeats removed."""
    found: list[str] = []
    _walk(node, found)
    return list(dict.fromkeys(found))


def resource_dependencies(
    resource_json: Mapping[str, Any], resource_names: Collection[str]
) -> list[str]:
    """The resources of the template that one resource needs to exist first."""
    depends_on = resource_json.get("DependsOn") or []
    if isinstance(depends_on, str):
        depends_on = [depends_on]
    named = list(depends_on) + references(resource_json.get("Properties"))
    return [name for name in dict.fromkeys(named) if name in resource_names]


def deletion_order(
    resources: Mapping[str, Mapping[str, Any]], candidates: Iterable[str]
) -> list[str]:
    """Candidates ordered so that every resource is deleted before those it depends on.

    ``candidates`` come in creation order; ties keep the reverse of it, like CloudFormation.
    """
    pending = list(candidates)
    names = set(pending)
    needs = {
        name: set(resource_dependencies(resources.get(name, {}), names)) - {name}
        for name in pending
    }
    ordered: list[str] = []
    while pending:
        # A resource may go once nothing still pending depends on it.
        free = [
            name for name in reversed(pending) if not any(name in needs[other] for other in pending)
        ]
        if not free:
            # A cycle (CloudFormation would have refused the template): fall back to reverse order.
            free = list(reversed(pending))
        for name in free:
            ordered.append(name)
            pending.remove(name)
    return ordered
