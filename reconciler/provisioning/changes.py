"""Which unit folders of the provisioning repository a change set rewrites, and how.

Pure: it compares the files rendered for each unit with the files the base branch holds
in the unit's folder. A unit whose files are the same, but for the deployment id in
``.proton/deployment-metadata.json``, is left untouched, so the workflow (which runs on
changed metadata files) does not run Terraform for it again.

A unit owns the files directly in its folder, ``.proton/``, and the subfolders its own
render has; other subfolders (``<env>/<service>-<instance>/`` in an environment's folder)
belong to other units and are never removed with it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from reconciler.terraform import METADATA_FILE as METADATA


@dataclass(frozen=True)
class UnitWrite:
    """What one unit should hold in the provisioning repository."""

    unit_id: str
    folder: str  # relative to the repository root, no trailing slash
    files: Mapping[str, bytes]  # relative to the folder
    deleting: bool = False  # only the metadata (the deletion marker) is written


@dataclass(frozen=True)
class FolderChange:
    """The writes and removals that bring one unit's folder to its desired files."""

    unit_id: str
    folder: str
    writes: Mapping[str, bytes] = field(default_factory=dict)  # repository paths
    removals: tuple[str, ...] = ()  # repository paths


def owned(folder_files: Mapping[str, bytes], rendered: Mapping[str, bytes]) -> dict[str, bytes]:
    """The files of ``folder_files`` (relative to the folder) that belong to the unit."""
    own_dirs = {path.split("/", 1)[0] for path in rendered if "/" in path}
    own_dirs.add(METADATA.split("/", 1)[0])
    return {
        path: data
        for path, data in folder_files.items()
        if "/" not in path or path.split("/", 1)[0] in own_dirs
    }


def folder_change(write: UnitWrite, current: Mapping[str, bytes]) -> FolderChange | None:
    """The change bringing ``current`` (the folder's files on the base branch, relative to
    it) to ``write``; None when they are the same but for the deployment id."""
    mine = owned(current, write.files)
    wanted = dict(write.files)
    if write.deleting:
        wanted = {**mine, METADATA: write.files[METADATA]}
    if same_but_deployment(mine, wanted):
        return None
    prefix = f"{write.folder}/"
    writes = {prefix + p: data for p, data in wanted.items() if mine.get(p) != data}
    removals = tuple(sorted(prefix + p for p in mine if p not in wanted))
    return FolderChange(write.unit_id, write.folder, writes, removals)


def same_but_deployment(a: Mapping[str, bytes], b: Mapping[str, bytes]) -> bool:
    """The same files, the metadata's ``deploymentId`` aside."""
    if set(a) != set(b):
        return False
    for path, data in a.items():
        if data == b[path]:
            continue
        if (
            path != METADATA
            or _without_id(data) is None
            or _without_id(data) != _without_id(b[path])
        ):
            return False
    return True


def deployment_id_in(files: Mapping[str, bytes]) -> str | None:
    """The ``deploymentId`` of a folder's metadata file, when it has a readable one."""
    data = files.get(METADATA)
    if data is None:
        return None
    try:
        found = json.loads(data).get("deploymentId")
    except (ValueError, AttributeError):
        return None
    return found if isinstance(found, str) else None


def _without_id(data: bytes) -> object:
    try:
        document = json.loads(data)
    except ValueError:
        return None
    if not isinstance(document, dict):
        return None
    document.pop("deploymentId", None)
    return document
