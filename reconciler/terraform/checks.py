"""``validate`` for Terraform folders: every ``.tf`` file parses, and ``terraform fmt``.

Units' folders are parsed when the units render (a problem per unit, at file and line).
Here ``validate`` also parses the newest version of every Terraform template major that
no unit uses yet, so a broken bundle is found before anyone deploys it.

``terraform fmt -check`` runs where a ``terraform`` binary is present; that is I/O (a
subprocess), so the composition root passes it in (``goldenpath/terraform_fmt.py``).
Its findings are warnings, not errors: Proton never enforced the format, the corpus's
bundles must validate as they are, and the format does not change what Terraform
deploys. They matter still: the sample workflow runs ``terraform fmt -check`` on the
provisioning repository and fails on an unformatted file, so the warning says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from reconciler.desired.build import Build
from reconciler.errors import Problem
from reconciler.terraform.hcl import hcl_problems

# A Terraform folder's repo-relative path → its files, ``(name, bytes)`` pairs.
Folders = Mapping[str, tuple[tuple[str, bytes], ...]]


@dataclass(frozen=True)
class FmtReport:
    """What ``terraform fmt -check`` said: problems, and a note when it could not run."""

    problems: list[Problem] = field(default_factory=list)
    note: str | None = None


class TerraformFmt(Protocol):
    """Runs ``terraform fmt -check`` over folders (never ``init``, never a provider)."""

    def __call__(self, folders: Folders) -> FmtReport: ...


def terraform_folders(build: Build) -> dict[str, tuple[tuple[str, bytes], ...]]:
    """The Terraform folders the build's units render from, by path."""
    found: dict[str, tuple[tuple[str, bytes], ...]] = {}
    for unit in build.state.units.values():
        file = unit.bundle.infrastructure.get(unit.infrastructure)
        if file is not None and file.is_terraform:
            found.setdefault(file.path, file.files)
    return found


def unused_folders(
    build: Build, used: Mapping[str, object]
) -> dict[str, tuple[tuple[str, bytes], ...]]:
    """The Terraform folders of each template major's newest version that no unit uses."""
    catalog = build.catalog
    found: dict[str, tuple[tuple[str, bytes], ...]] = {}
    for name in catalog.index.names():
        for major in catalog.index.majors(name):
            versions = catalog.index.of(name, major)
            bundle = catalog.bundle(versions[-1]) if versions else None
            if bundle is None:
                continue  # its load problems are the build's
            for file in bundle.infrastructure.values():
                if file.is_terraform and file.path not in used:
                    found.setdefault(file.path, file.files)
    return found


def terraform_problems(build: Build, fmt: TerraformFmt | None) -> list[Problem]:
    """HCL problems of unused Terraform folders, and ``fmt``'s findings on every one."""
    used = terraform_folders(build)
    unused = unused_folders(build, used)
    problems = [p for path, files in sorted(unused.items()) for p in hcl_problems(path, files)]
    if fmt is None or not (used or unused):
        return problems
    parsed = {
        path: files
        for path, files in {**used, **unused}.items()
        if not hcl_problems(path, files)  # a folder that does not parse is reported already
    }
    if not parsed:
        return problems
    report = fmt(parsed)
    problems += report.problems
    if report.note is not None:
        first = min(parsed)
        problems.append(Problem(first, None, "", report.note, "warning"))
    return problems
