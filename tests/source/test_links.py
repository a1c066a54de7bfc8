"""Symbolic links out of the platform repo: refused on disk, inert in git.

A working tree may hold links written by a pull request (a CI job checks it out and runs
``goldenpath validate``). A link that leads out of the repo would let a template render
whatever the process can read; so the file index refuses it, by name, and reads nothing
through it. In git a link is a blob holding the target's path, never followed.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reconciler.errors import SourceError
from reconciler.source.fileindex import FileIndex
from reconciler.source.git import GitSource
from reconciler.source.worktree import WorkingTree
from tests.support.platform_repo import small_platform

SECRET = "TOPSECRET-d41d8cd98f00"
TEMPLATE = "templates/svc/v1/instance_infrastructure/cloudformation.yaml"


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    outside = tmp_path / "outside" / "credentials"
    outside.parent.mkdir()
    outside.write_text(f"aws_secret_access_key = {SECRET}\n")
    return outside


def link(root: Path, path: str, target: Path | str) -> None:
    (root / path).parent.mkdir(parents=True, exist_ok=True)
    if (root / path).exists() or (root / path).is_symlink():
        (root / path).unlink()
    os.symlink(target, root / path)


def refusal(index: FileIndex, only: set[str] | None = None) -> str:
    with pytest.raises(SourceError) as caught:
        index.look(only)
    return str(caught.value)


def test_a_link_to_a_file_outside_the_repo_is_refused_by_name(
    tmp_path: Path, secret_file: Path
) -> None:
    root = tmp_path / "repo"
    (root / "services").mkdir(parents=True)
    (root / "services/web.yaml").write_text("a: 1\n")
    link(root, "services/stolen.yaml", secret_file)
    message = refusal(FileIndex(root))
    assert f"services/stolen.yaml -> {secret_file}" in message
    assert "lead out of the platform repo" in message
    assert SECRET not in message


def test_a_link_to_the_process_environment_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOLDENPATH_TEST_SECRET", SECRET)
    link(tmp_path, TEMPLATE, "/proc/self/environ")
    message = refusal(FileIndex(tmp_path))
    assert f"{TEMPLATE} -> /proc/self/environ" in message
    assert SECRET not in message


def test_a_relative_link_that_climbs_out_is_refused(tmp_path: Path, secret_file: Path) -> None:
    root = tmp_path / "repo"
    link(root, "services/web.yaml", "../../outside/credentials")
    assert (root / "services/web.yaml").read_text().endswith(f"{SECRET}\n")  # it does lead there
    assert "services/web.yaml -> ../../outside/credentials" in refusal(FileIndex(root))


def test_a_link_into_the_git_folder_is_refused(tmp_path: Path) -> None:
    repo = small_platform(tmp_path / "repo")
    link(repo.root, "services/config.yaml", repo.root / ".git/config")
    assert "services/config.yaml ->" in refusal(FileIndex(repo.root))


def test_a_link_to_a_folder_outside_is_refused(tmp_path: Path, secret_file: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    link(root, "templates", secret_file.parent)
    assert "templates ->" in refusal(FileIndex(root))


def test_links_inside_the_repo_are_followed(tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared/common.yaml").write_text("a: 1\n")
    link(tmp_path, "services/web.yaml", "../shared/common.yaml")
    files = FileIndex(tmp_path).look().files
    assert files["services/web.yaml"] == b"a: 1\n"


def test_a_watched_file_replaced_by_a_link_out_is_refused_then_seen_again(
    tmp_path: Path, secret_file: Path
) -> None:
    root = tmp_path / "repo"
    (root / "services").mkdir(parents=True)
    (root / "services/web.yaml").write_text("a: 1\n")
    (root / "services/api.yaml").write_text("b: 1\n")
    index = FileIndex(root)
    index.look()
    link(root, "services/web.yaml", secret_file)
    (root / "services/api.yaml").write_text("b: 2\n")
    # A watcher names only the link: still refused, never read.
    assert "services/web.yaml ->" in refusal(index, {"services/web.yaml"})
    (root / "services/web.yaml").unlink()
    (root / "services/web.yaml").write_text("a: 3\n")
    # The refused look spent the watcher's paths (api.yaml among them): this one is whole.
    look = index.look({"services/web.yaml"})
    assert look.files == {"services/api.yaml": b"b: 2\n", "services/web.yaml": b"a: 3\n"}
    assert SECRET.encode() not in b"".join(look.files.values())


def test_a_working_tree_snapshot_refuses_a_template_linked_out(
    tmp_path: Path, secret_file: Path
) -> None:
    repo = small_platform(tmp_path / "repo")
    link(repo.root, TEMPLATE, secret_file)
    with pytest.raises(SourceError, match=TEMPLATE):
        WorkingTree(repo.root).snapshot()


def test_a_committed_link_is_its_target_path_never_the_target(
    tmp_path: Path, secret_file: Path
) -> None:
    repo = small_platform(tmp_path / "repo")
    link(repo.root, TEMPLATE, secret_file)
    link(repo.root, "services/env.yaml", "/proc/self/environ")
    head = repo.commit("links out of the repo")
    snapshot = GitSource.open(repo.root).snapshot(head)
    assert snapshot.files[TEMPLATE] == str(secret_file).encode()
    assert snapshot.files["services/env.yaml"] == b"/proc/self/environ"
    assert not any(SECRET.encode() in data for data in snapshot.files.values())
