"""What Goldenpath writes on the provisioning repository: commit message and PR text.

Pure functions from the change set to words, so the wording is composed in one place.
The body links back to what caused the change (the platform commit, or the pull request
that merged it) and lists each unit with its folder and deployment id, which is what the
workflow notifies with.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

SHORT = 12


@dataclass(frozen=True)
class WrittenUnit:
    """One unit of a change set, as the PR lists it."""

    unit_id: str
    folder: str
    deployment_id: str
    action: str  # create | update | delete
    version: str  # the template version rendered ("" for a deletion of an unknown one)


@dataclass(frozen=True)
class Cause:
    """The platform change a provisioning change set comes from."""

    revision: str
    link: str | None = None  # the platform commit's or pull request's web page


def _units(count: int) -> str:
    return f"{count} unit" if count == 1 else f"{count} units"


def title(units: Sequence[WrittenUnit], cause: Cause) -> str:
    deleting = sum(1 for u in units if u.action == "delete")
    what = f"provision {_units(len(units) - deleting)}" if len(units) > deleting else ""
    if deleting:
        what = f"{what}, destroy {_units(deleting)}" if what else f"destroy {_units(deleting)}"
    return f"Goldenpath: {what} (platform {cause.revision[:SHORT]})"


def commit_message(units: Sequence[WrittenUnit], cause: Cause) -> str:
    lines = [title(units, cause), ""]
    lines += [
        f"{u.action} {u.unit_id} in {u.folder}/ (deployment {u.deployment_id})" for u in units
    ]
    lines += ["", f"Platform revision: {cause.revision}"]
    return "\n".join(lines) + "\n"


def body(units: Sequence[WrittenUnit], cause: Cause) -> str:
    where = f"[{cause.revision[:SHORT]}]({cause.link})" if cause.link else f"`{cause.revision}`"
    rows = [
        f"| `{u.unit_id}` | `{u.folder}/` | {u.action} | {u.version or '-'} | `{u.deployment_id}` |"
        for u in units
    ]
    return "\n".join(
        [
            f"Written by Goldenpath for platform revision {where}.",
            "",
            "| unit | folder | action | template version | deployment id |",
            "|---|---|---|---|---|",
            *rows,
            "",
            "Merging runs Terraform through the repository's workflow, which reports each "
            "deployment back to Goldenpath (`goldenpath notify`). A deletion carries "
            "`isResourceDeleted: true`, so the workflow runs `terraform destroy`.",
            "",
            "Units whose files did not change are not part of this pull request.",
        ]
    )
