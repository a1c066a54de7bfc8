"""Rules of one spec document that its JSON Schema cannot say.

A schema checks each value on its own; these look at several values of the same document
together: names in a list that must be unique because each becomes a unit, and a role
that must belong to the account it is written beside (and, across the documents of one
file, a kind that a file holds once). The loader runs them on every
schema-valid document, and each problem names the file, the line and the field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from reconciler.errors import Problem
from reconciler.specs.model import Account, Origin
from reconciler.specs.yaml import Document


def repeated_instances(doc: Document) -> list[Problem]:
    """A service's instances named alike: each name is a unit, ``service/<svc>/<name>``,
    so a second one would silently take the first one's place."""
    service = doc.data["metadata"]["name"]
    first: dict[str, int] = {}
    problems = []
    for index, instance in enumerate(doc.data["spec"]["instances"]):
        name = instance["name"]
        if name not in first:
            first[name] = index
            continue
        earlier = f"spec.instances[{first[name]}].name"
        line = doc.line(earlier)
        at = f", line {line}" if line is not None else ""
        problems.append(
            doc.problem(
                f"spec.instances[{index}].name",
                f"instance name {name!r} appears twice (first at {earlier}{at}); each "
                f"instance is its own unit, service/{service}/{name}: expected unique "
                "instance names, rename or remove one",
            )
        )
    return problems


def role_problems(doc: Document, at: str) -> list[Problem]:
    """The account at dotted path ``at`` (``spec.account``), if written, and its role."""
    written: Any = doc.data
    for part in at.split("."):
        written = written.get(part) if isinstance(written, Mapping) else None
    if not isinstance(written, Mapping) or "roleArn" not in written:
        return []
    account = Account(str(written["id"]), str(written.get("region", "")), written["roleArn"])
    why = account.role_problem(id_field=f"{at}.id")
    return [doc.problem(f"{at}.roleArn", why)] if why else []


def second_document(origin: Origin, kind: str, first: Origin) -> Problem:
    """A second document of a kind its file holds once (goldenpath.yaml, teams.yaml): it
    would replace the first, which stands."""
    return Problem(
        origin.file,
        origin.line,
        origin.field,
        f"a second {kind} document (the first is at line {first.line}); "
        f"expected one {kind} document in {origin.file}: merge them",
    )


def document_problems(doc: Document, kind: str) -> list[Problem]:
    """Every problem of one schema-valid document of ``kind`` that its schema misses."""
    check = _RULES.get(kind)
    return check(doc) if check is not None else []


_RULES: dict[str, Callable[[Document], list[Problem]]] = {
    "Service": repeated_instances,
    "Environment": lambda doc: role_problems(doc, "spec.account"),
    "Platform": lambda doc: role_problems(doc, "spec.pipelines.account"),
}
