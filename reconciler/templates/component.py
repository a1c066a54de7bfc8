"""Directly defined components: a service's own extra infrastructure, in Proton's format.

A component lives beside its service's spec, in ``services/<service>/components/<name>/``:
a ``manifest.yaml`` naming one Jinja CloudFormation file, exactly as Proton's component
templates are laid out. It has no schema of its own: it reads the namespaces of the
instance it is attached to (``environment``, ``service``, ``service_instance``) and
``component.name``. It is read into a ``Bundle`` of kind ``component``, so that the rest of
the engine renders, lints and deploys it like any template file.

What a component may not say: which role it deploys with. That is the environment's
``componentRoleArn``, chosen by the platform team; a manifest that names a role is refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from reconciler.errors import Problem, SpecError
from reconciler.templates.bundle import load_yaml, template_file
from reconciler.templates.model import Bundle

SERVICES_FOLDER = "services"
COMPONENTS_FOLDER = "components"
# What a component manifest holds: Proton's ``infrastructure`` and nothing else.
MANIFEST_FIELDS = ("infrastructure",)
# Manifest fields that would choose a role; refused with the reason.
ROLE_FIELDS = ("role", "roleArn", "role_arn", "componentRoleArn", "component_role_arn")
ROLE_REFUSED = (
    "a component deploys with its environment's component role (spec.componentRoleArn "
    "in environments/, chosen by the platform team); it cannot name a role of its own"
)


def component_root(service: str, name: str) -> str:
    """``services/<service>/components/<name>``: where a component's files live."""
    return f"{SERVICES_FOLDER}/{service}/{COMPONENTS_FOLDER}/{name}"


def component_of(path: str) -> tuple[str, str] | None:
    """``(service, component)`` when ``path`` is a file of a component folder."""
    parts = path.split("/")
    if len(parts) >= 5 and parts[0] == SERVICES_FOLDER and parts[2] == COMPONENTS_FOLDER:
        return parts[1], parts[3]
    return None


def component_files(paths: Iterable[str]) -> dict[tuple[str, str], list[str]]:
    """Every component folder among ``paths``: ``(service, name)`` → its file paths."""
    found: dict[tuple[str, str], list[str]] = {}
    for path in paths:
        if path.startswith(SERVICES_FOLDER + "/"):
            owner = component_of(path)
            if owner is not None:
                found.setdefault(owner, []).append(path)
    return found


def load_component(files: Mapping[str, bytes], *, service: str, name: str) -> Bundle:
    """The component ``name`` of ``service`` from its files (repo-relative path → bytes).

    Raises ``SpecError`` with every problem of the folder, each naming its file.
    """
    root = component_root(service, name)
    prefix = root + "/"
    own = {path[len(prefix) :]: data for path, data in files.items() if path.startswith(prefix)}
    problems: list[Problem] = []
    _check_manifest(own, prefix, problems)
    file = template_file(own, prefix, "", problems) if not problems else None
    if problems or file is None:
        raise SpecError(problems)
    return Bundle(
        name=name,
        major=0,
        kind="component",
        root=root,
        input_schemas={},
        infrastructure={"component": file},
    )


def _check_manifest(own: Mapping[str, bytes], prefix: str, problems: list[Problem]) -> None:
    manifest = load_yaml(own, prefix, "manifest.yaml", [])
    if manifest is None or not isinstance(manifest.data, Mapping):
        return  # template_file reports a missing or malformed manifest
    for key in manifest.data:
        if key in ROLE_FIELDS:
            problems.append(manifest.problem(str(key), ROLE_REFUSED))
        elif key not in MANIFEST_FIELDS:
            problems.append(
                manifest.problem(
                    str(key),
                    f"unknown field {key!r}; a component manifest holds: "
                    f"{', '.join(MANIFEST_FIELDS)}",
                )
            )
