"""A Terraform unit's plan at file level: which files of its folder change, and how.

CloudFormation units show resource changes from a change set; a Terraform unit's plan can
only know its files before the team's CI runs ``terraform plan``. So its plan lists the
files added, modified and removed against the files last written for its recorded
fingerprint, with a unified diff of each changed text file. Where those files are not
known (written by a process that kept no copy), the plan says so instead of guessing.
``.proton/deployment-metadata.json`` changes on every deployment and is left out.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Collection, Mapping

from reconciler.desired.secrets import masked, secret_values
from reconciler.desired.units import DesiredState, Unit
from reconciler.plan.model import FileChange
from reconciler.terraform import METADATA_FILE

# Fingerprint → the files last written with it (path → text), or None when not known.
WrittenFiles = Callable[[str], Mapping[str, str] | None]
# A diff longer than this is cut, saying how many lines were left out.
MAX_DIFF_LINES = 200


def file_changes(
    files: Mapping[str, bytes],
    before: Mapping[str, str] | None,
    secrets: Collection[str] = (),
) -> tuple[FileChange, ...]:
    """What writing ``files`` changes in a folder that held ``before`` (None: nothing).

    ``secrets``: input values the schema marks secret (``format: password``), masked in
    the diffs as in every plan and comment."""
    now = stored_form(files, secrets)
    old = dict(before or {})
    old.pop(METADATA_FILE, None)
    changes = []
    for path in sorted(now.keys() | old.keys()):
        if path not in old:
            changes.append(FileChange(path, "add", _diff(path, "", now[path])))
        elif path not in now:
            changes.append(FileChange(path, "remove", _diff(path, old[path], "")))
        elif old[path] != now[path]:
            changes.append(FileChange(path, "modify", _diff(path, old[path], now[path])))
    return tuple(changes)


def carried_secrets(unit: Unit, desired: DesiredState) -> set[str]:
    """Secret input values a unit's files carry: its own, and a pipeline's instances' or a
    component's instance's, which its variables hold too."""
    carried = [r.unit_id for r in unit.instances] + [f"service/{unit.service}/{unit.instance}"]
    return secret_values(unit).union(
        *(secret_values(u) for uid in carried if (u := desired.units.get(uid)) is not None)
    )


def stored_form(files: Mapping[str, bytes], secrets: Collection[str] = ()) -> dict[str, str]:
    """The files as shown and kept for later plans to diff against (path → text), with
    secret values masked: the state store never holds them either."""
    wanted = [s for s in secrets if s]
    return {
        path: masked(_text(data), wanted) for path, data in files.items() if path != METADATA_FILE
    }


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        import hashlib

        return f"(binary, {len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()})\n"


def _diff(path: str, old: str, new: str) -> str:
    lines = list(
        difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile=f"a/{path}" if old else "/dev/null",
            tofile=f"b/{path}" if new else "/dev/null",
        )
    )
    if len(lines) > MAX_DIFF_LINES:
        cut = len(lines) - MAX_DIFF_LINES
        lines = [*lines[:MAX_DIFF_LINES], f"… {cut} more lines\n"]
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)
