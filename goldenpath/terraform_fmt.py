"""``terraform fmt -check -diff`` over Terraform folders, where a ``terraform`` binary is.

Only ``fmt`` runs: it reads the files and nothing else (no ``init``, no provider, no
state, no network; the version check is turned off with ``CHECKPOINT_DISABLE``). Each
folder's ``.tf`` files are copied to a temporary folder of their own, so that a file
Terraform cannot read in one folder does not hide the others' findings.

A file ``fmt`` would change is a warning at the first line it changes; a file Terraform's
own parser refuses (python-hcl2 accepted it) is an error at the line Terraform names.
Results are kept per process by the folder's content (docs/caching.md, ``terraform fmt``).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections import OrderedDict
from pathlib import Path

import structlog

from reconciler.errors import Problem
from reconciler.terraform.checks import FmtReport, Folders

log = structlog.get_logger(__name__)

# Seconds one folder's fmt may take; it reads a few files.
FMT_TIMEOUT = 60.0
# Folders whose findings are kept per process (by content).
MAX_KEPT = 256
WHY = (
    "not in `terraform fmt` style (Proton did not require it, so this is a warning; "
    "the sample workflow's `terraform fmt -check` step fails on it)"
)
_OLD = re.compile(r"^--- old/(.+)$")
_HUNK = re.compile(r"^@@ -(\d+)")
_ERROR_AT = re.compile(r"on (\S+) line (\d+)")
_KEPT: OrderedDict[str, list[Problem]] = OrderedDict()


def terraform_fmt(folders: Folders) -> FmtReport:
    """``fmt``'s findings for every folder, or a note when there is no ``terraform``."""
    binary = shutil.which("terraform")
    if binary is None:
        return FmtReport(
            note=f"`terraform fmt -check` skipped for {len(folders)} Terraform folder(s): "
            "no terraform binary on PATH"
        )
    keyed = {}
    for path, files in sorted(folders.items()):
        tf = [(name, data) for name, data in files if name.endswith(".tf")]
        keyed[hashlib.sha256(repr((path, tf)).encode()).hexdigest()] = (path, tf)
    results = {key: _KEPT[key] for key in keyed if key in _KEPT}
    todo = {key: folder for key, folder in keyed.items() if key not in results}
    if todo:
        # One run for every folder; only when Terraform refuses a file (rare: python-hcl2
        # parsed them all) is each folder run on its own, to say which.
        found = _check_folders(binary, list(todo.values()))
        for key, (path, tf) in todo.items():
            results[key] = found[path] if found is not None else _check_folder(binary, path, tf)
            _KEPT[key] = results[key]
        while len(_KEPT) > MAX_KEPT:
            _KEPT.popitem(last=False)
    return FmtReport([problem for key in keyed for problem in results[key]])


def _check_folders(
    binary: str, folders: list[tuple[str, list[tuple[str, bytes]]]]
) -> dict[str, list[Problem]] | None:
    """Every folder's findings from one ``fmt`` run; None when Terraform refused a file."""
    with tempfile.TemporaryDirectory(prefix="goldenpath-fmt-") as work:
        root = Path(work)
        for index, (_path, files) in enumerate(folders):
            for name, data in files:
                target = root / str(index) / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
        done = _run(binary, work, "all folders")
    if done is None or done.returncode not in (0, 3):
        return None
    found: dict[str, list[Problem]] = {path: [] for path, _files in folders}
    for problem in _changed("", done.stdout):
        slot, _, rel = problem.file.lstrip("/").partition("/")
        path = folders[int(slot)][0]
        found[path].append(Problem(f"{path}/{rel}", problem.line, "", WHY, "warning"))
    return found


def _check_folder(binary: str, path: str, files: list[tuple[str, bytes]]) -> list[Problem]:
    with tempfile.TemporaryDirectory(prefix="goldenpath-fmt-") as work:
        root = Path(work)
        for name, data in files:
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        done = _run(binary, work, path)
    if done is None:
        return [Problem(path, None, "", "`terraform fmt` could not run", "warning")]
    if done.returncode not in (0, 3):
        return _refused(path, done.stderr)
    return _changed(path, done.stdout)


def _run(binary: str, work: str, what: str) -> subprocess.CompletedProcess[str] | None:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": work,
        "CHECKPOINT_DISABLE": "1",
        "TF_IN_AUTOMATION": "1",
        "TF_CLI_CONFIG_FILE": os.devnull,
    }
    try:
        return subprocess.run(
            [binary, "fmt", "-check", "-diff", "-list=true", "-no-color", "-recursive", "."],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=FMT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.warning("terraform_fmt.failed", folder=what, error=str(exc))
        return None


def _changed(path: str, diff: str) -> list[Problem]:
    """A warning per file ``fmt`` would change, at the first line it changes."""
    problems: list[Problem] = []
    file: str | None = None
    line: int | None = None
    for text in diff.splitlines():
        old = _OLD.match(text)
        if old is not None:
            file, line = old.group(1).removeprefix("./"), None
            continue
        hunk = _HUNK.match(text)
        if hunk is not None and file is not None and line is None:
            line = int(hunk.group(1))
            continue
        if file is None or line is None:
            continue
        if text.startswith(("-", "+")):
            problems.append(Problem(f"{path}/{file}", line, "", WHY, "warning"))
            file = None
        elif text.startswith(" "):
            line += 1
    return problems


def _refused(path: str, stderr: str) -> list[Problem]:
    """Terraform's parser refused a file python-hcl2 accepted: an error where it says."""
    message = next(
        (t.strip().removeprefix("Error: ") for t in stderr.splitlines() if "Error:" in t),
        stderr.strip()[:300] or "terraform fmt failed",
    )
    where = _ERROR_AT.search(stderr)
    if where is None:
        return [Problem(path, None, "", f"Terraform cannot read it: {message}")]
    file = where.group(1).removeprefix("./")
    return [
        Problem(f"{path}/{file}", int(where.group(2)), "", f"Terraform cannot read it: {message}")
    ]
