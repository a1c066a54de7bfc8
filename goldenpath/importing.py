"""The disk side of ``goldenpath import``: bundles, spec files, and the repo it writes.

Reading: a ``--templates`` folder of ``<name>/v<N>/`` bundles (Proton's template-sync
layout; each ``v<N>`` is version ``N.0``), or of ``<name>/`` folders that hold one bundle
directly (a local copy of an S3 bundle, taken as version ``1.0``); and ``--spec
environment/NAME=FILE`` / ``service/NAME=FILE`` Proton spec files.

Writing: a new ``--out`` folder becomes a git repository with one commit; an existing
platform repo gets the new files, uncommitted, for review. A file that exists with other
content is never overwritten: the whole write is refused, naming each conflict.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from reconciler.errors import Problem, SpecError
from reconciler.proton_import.proton_specs import (
    ProtonEnvironmentSpec,
    ProtonServiceSpec,
    parse_environment_spec,
    parse_service_spec,
)
from reconciler.proton_import.recovery import Candidate
from reconciler.templates.bundle import MAJOR_FOLDER, load_bundle, read_bundle_dir
from reconciler.templates.model import Bundle

_SPEC_OPTION = re.compile(r"(?P<kind>environment|service)/(?P<name>[^=]+)=(?P<file>.+)")
COMMIT_MESSAGE = "Import from Proton: specs that adopt its stacks, and their template bundles"


class ImportInputError(ValueError):
    """Bad command-line input: names the option or file and what was expected."""


@dataclass(frozen=True)
class Templates:
    """Template versions by name, and the folder each bundle was read from."""

    candidates: Mapping[str, tuple[Candidate, ...]]
    folders: Mapping[tuple[str, int], Path]


def read_templates(root: Path) -> Templates:
    if not root.is_dir():
        raise ImportInputError(f"--templates {root}: not a folder (expected <name>/v<N>/ bundles)")
    candidates: dict[str, list[Candidate]] = {}
    folders: dict[tuple[str, int], Path] = {}
    problems: list[Problem] = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        majors = sorted(
            (p for p in folder.iterdir() if p.is_dir() and MAJOR_FOLDER.match(p.name)),
            key=lambda p: int(p.name[1:]),
        )
        if not majors and (folder / "schema" / "schema.yaml").is_file():
            majors = [folder]  # one bundle, straight from S3: no major in its path
        for path in majors:
            major = int(path.name[1:]) if path is not folder else 1
            try:
                bundle = _read_bundle(path, folder.name, major, straight=path is folder)
            except SpecError as exc:
                problems.extend(exc.problems)
                continue
            if bundle.is_terraform:
                # Proton ran it through a provisioning repository: it left no stack to adopt.
                structlog.get_logger(__name__).warning(
                    "import.terraform_template_skipped",
                    template=folder.name,
                    major=major,
                    why="a Terraform template has no CloudFormation stacks to adopt; "
                    "write its specs by hand (README: Terraform bundles)",
                )
                continue
            candidates.setdefault(folder.name, []).append(Candidate(f"{major}.0", bundle))
            folders[(folder.name, major)] = path
    if problems:
        raise SpecError(problems)
    if not candidates:
        raise ImportInputError(
            f"--templates {root}: no template bundles found "
            "(expected <name>/v<N>/schema/schema.yaml)"
        )
    return Templates({k: tuple(v) for k, v in candidates.items()}, folders)


def _read_bundle(path: Path, name: str, major: int, *, straight: bool) -> Bundle:
    if not straight:
        return read_bundle_dir(path, name=name)
    # A copy of an S3 bundle has no v<N> in its path: read its files as major 1.
    root = f"{name}/v{major}"
    files = {
        f"{root}/{p.relative_to(path).as_posix()}": p.read_bytes()
        for p in path.rglob("*")
        if p.is_file()
    }
    return load_bundle(files, root=root, name=name, major=major)


@dataclass
class SpecFiles:
    environments: dict[str, ProtonEnvironmentSpec] = field(default_factory=dict)
    services: dict[str, ProtonServiceSpec] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)  # "environment/NAME" → option text


def read_spec_options(options: Sequence[str]) -> SpecFiles:
    found = SpecFiles()
    for option in options:
        match = _SPEC_OPTION.fullmatch(option)
        if match is None:
            raise ImportInputError(
                f"--spec {option}: expected environment/NAME=FILE or service/NAME=FILE"
            )
        path = Path(match["file"])
        if not path.is_file():
            raise ImportInputError(f"--spec {option}: {path} is not a file")
        key = f"{match['kind']}/{match['name']}"
        if key in found.options:
            raise ImportInputError(f"--spec {option}: {key} is already given a spec file")
        data = path.read_bytes()
        if match["kind"] == "environment":
            found.environments[match["name"]] = parse_environment_spec(data, str(path))
        else:
            found.services[match["name"]] = parse_service_spec(data, str(path))
        found.options[key] = option
    return found


def bundle_files(templates: Templates, used: Sequence[tuple[str, int]]) -> dict[str, bytes]:
    """``templates/<name>/v<N>/…`` → bytes, for each bundle a written spec uses."""
    files: dict[str, bytes] = {}
    for name, major in sorted(set(used)):
        folder = templates.folders[(name, major)]
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                rel = path.relative_to(folder).as_posix()
                files[f"templates/{name}/v{major}/{rel}"] = path.read_bytes()
    return files


def conflicts(out: Path, files: Mapping[str, bytes]) -> list[str]:
    """Files that exist in ``out`` with other content."""
    return [
        rel
        for rel, data in sorted(files.items())
        if (out / rel).exists() and (out / rel).read_bytes() != data
    ]


def check_out(out: Path) -> bool:
    """Whether ``out`` is an existing repo (True) or a new folder (False); refuse others."""
    if not out.exists():
        return False
    if not out.is_dir():
        raise ImportInputError(f"--out {out}: exists and is not a folder")
    if (out / ".git").exists():
        return True
    if any(out.iterdir()):
        raise ImportInputError(
            f"--out {out}: exists, is not empty and is not a git repository "
            "(expected a new folder or an existing platform repo)"
        )
    return False


def write_repo(out: Path, files: Mapping[str, bytes], *, existing: bool) -> list[str]:
    """Write the files that are new or changed; commit them when the repo is new."""
    written = []
    for rel, data in sorted(files.items()):
        target = out / rel
        if target.exists() and target.read_bytes() == data:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written.append(rel)
    if not existing:
        _git(out, "init", "-q", "-b", "main")
        _git(out, "add", "-A")
        _git(
            out,
            "-c",
            "user.name=goldenpath import",
            "-c",
            "user.email=goldenpath-import@localhost",
            "commit",
            "-q",
            "-m",
            COMMIT_MESSAGE,
        )
    return written


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True)
