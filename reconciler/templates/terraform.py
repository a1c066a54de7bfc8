"""The Terraform files an infrastructure folder's manifest names (Proton's ``hcl`` engine).

A Terraform manifest lists one or more ``{file, rendering_engine: hcl, template_language:
terraform}`` entries; ``file: "*"`` means every file of the folder but the manifest
(Proton's samples all use it), otherwise the entry names one file. The files are kept as
bytes, never rendered: Proton copied them as they are, and the values reach Terraform
through the variable files it wrote beside them (``reconciler.terraform``). Whether the
``.tf`` files parse is checked when a unit renders and by ``validate``
(``reconciler.terraform.hcl``), not here: loading a bundle stays cheap for every version
in a repo's history.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.errors import Problem
from reconciler.specs.yaml import Document
from reconciler.templates.model import TemplateFile

MANIFEST = "manifest.yaml"
EVERY_FILE = "*"
# A bundle's files come from pull requests: a Terraform folder larger than this is refused.
MAX_FOLDER_BYTES = 8 * 1024 * 1024


def terraform_folder(
    own: Mapping[str, bytes],
    prefix: str,
    folder: str,
    manifest: Document,
    entries: Sequence[Any],
    problems: list[Problem],
) -> TemplateFile | None:
    """The folder's Terraform files as one ``TemplateFile`` (``path``: the folder)."""
    at = f"{folder}/" if folder else ""
    inside = {rel[len(at) :]: data for rel, data in own.items() if rel.startswith(at)}
    inside.pop(MANIFEST, None)
    chosen: dict[str, bytes] = {}
    before = len(problems)
    for i, entry in enumerate(entries):
        field = f"infrastructure.templates[{i}]"
        if not isinstance(entry, Mapping):
            problems.append(manifest.problem(field, "expected {file, rendering_engine, ...}"))
            continue
        if (entry.get("template_language"), entry.get("rendering_engine")) != ("terraform", "hcl"):
            problems.append(
                manifest.problem(
                    field,
                    "every entry of a Terraform manifest must be template_language: "
                    "terraform with rendering_engine: hcl",
                )
            )
            continue
        name = entry.get("file")
        if name == EVERY_FILE:
            chosen.update(inside)
        elif isinstance(name, str) and name in inside:
            chosen[name] = inside[name]
        else:
            where = at or prefix
            problems.append(
                manifest.problem(f"{field}.file", f"names {name!r}, which is not in {where}")
            )
    if len(problems) > before:
        return None
    if not any(name.endswith(".tf") for name in chosen):
        problems.append(
            manifest.problem("infrastructure.templates", f"names no .tf file in {at or prefix}")
        )
        return None
    size = sum(len(data) for data in chosen.values())
    if size > MAX_FOLDER_BYTES:
        problems.append(
            Problem(
                f"{prefix}{at}".rstrip("/"),
                None,
                "",
                f"{size:,} bytes of Terraform files; at most {MAX_FOLDER_BYTES:,} are accepted",
            )
        )
        return None
    return TemplateFile(
        path=f"{prefix}{at}".rstrip("/"),
        source="",
        language="terraform",
        files=tuple(sorted(chosen.items())),
    )
