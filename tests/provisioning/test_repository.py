"""The provisioning repository edge against real git repositories on disk (a bare remote)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from reconciler.errors import ProvisioningUnavailable
from reconciler.provisioning.changes import FolderChange, UnitWrite, folder_change
from reconciler.provisioning.repository import ProvisioningRepo
from reconciler.terraform import METADATA_FILE as METADATA


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return done.stdout.strip()


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    """A bare repository with main holding an environment folder and an instance below it."""
    bare = tmp_path / "provisioning.git"
    _git(tmp_path, "init", "--bare", "-b", "main", str(bare))
    work = tmp_path / "seed"
    _git(tmp_path, "clone", str(bare), str(work))
    (work / "dev" / ".proton").mkdir(parents=True)
    (work / "dev" / "main.tf").write_text("# env\n")
    (work / "dev" / ".proton" / "deployment-metadata.json").write_text('{"deploymentId": "a"}')
    (work / "dev" / "svc-one").mkdir()
    (work / "dev" / "svc-one" / "main.tf").write_text("# instance\n")
    _git(work, "add", "-A")
    _git(work, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "seed")
    _git(work, "push", "-q", "origin", "HEAD:main")
    return bare


def test_reads_a_folder_without_taking_the_folders_below_as_its_own(
    remote: Path, tmp_path: Path
) -> None:
    repo = ProvisioningRepo.open(remote.as_uri(), "main", tmp_path / "cache")
    head = repo.fetch()

    found = repo.folders(head, ["dev", "absent"])

    assert found["absent"] == {}
    assert set(found["dev"]) == {"main.tf", METADATA, "svc-one/main.tf"}
    rendered = {"main.tf": b"# env v2\n", METADATA: b'{"deploymentId": "b"}'}
    change = folder_change(UnitWrite("environment/dev", "dev", rendered), found["dev"])
    assert change is not None
    assert change.removals == ()  # svc-one/ is another unit's


def test_one_commit_on_the_base_is_force_pushed_to_the_branch(remote: Path, tmp_path: Path) -> None:
    repo = ProvisioningRepo.open(remote.as_uri(), "main", tmp_path / "cache")
    head = repo.fetch()
    change = FolderChange(
        "environment/dev",
        "dev",
        {"dev/main.tf": b"# env v2\n", "dev/extra.tf": b"# new\n"},
        ("dev/gone.tf",),
    )

    first = repo.push(head, "goldenpath/provisioning", [change], "first")
    again = repo.push(head, "goldenpath/provisioning", [change], "the same change set")
    other = FolderChange("environment/dev", "dev", {"dev/main.tf": b"# env v3\n"})
    second = repo.push(head, "goldenpath/provisioning", [change, other], "second")

    assert again == first  # the branch holds it already: not pushed again
    assert _git(remote, "rev-parse", "goldenpath/provisioning") == second != first
    assert _git(remote, "rev-parse", "goldenpath/provisioning^") == head  # base + one commit
    shown = _git(remote, "show", "goldenpath/provisioning:dev/main.tf")
    assert shown == "# env v3"
    assert _git(remote, "show", "goldenpath/provisioning:dev/svc-one/main.tf") == "# instance"
    assert json.loads(_git(remote, "show", f"goldenpath/provisioning:dev/{METADATA}")) == {
        "deploymentId": "a"
    }


def test_an_unreachable_remote_is_a_wait_with_the_reason(tmp_path: Path) -> None:
    repo = ProvisioningRepo.open((tmp_path / "nowhere.git").as_uri(), "main", tmp_path / "cache")

    with pytest.raises(ProvisioningUnavailable, match="cannot fetch branch 'main'"):
        repo.fetch()
