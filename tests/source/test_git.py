"""A git source kept between revisions reads only the folders a commit changed, and gives
every revision exactly the files a fresh source gives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler.source.git import GitSource
from tests.support.platform_repo import small_platform, write_service


def test_a_kept_source_gives_each_revision_the_files_a_fresh_one_gives(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    source = GitSource.open(repo.root)
    revisions = [repo.git("rev-parse", "HEAD")]
    write_service(repo, "api")
    revisions.append(repo.commit("api"))
    repo.remove("services/web.yaml")
    repo.write("templates/svc/v1/instance_infrastructure/extra.txt", "more\n")
    revisions.append(repo.commit("web goes, a template file comes"))
    # Forward, back to the start (folders read earlier), and forward again.
    for revision in [*revisions, revisions[0], revisions[2]]:
        assert source.files(revision) == GitSource.open(repo.root).files(revision)


def test_an_unchanged_folder_is_not_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = small_platform(tmp_path)
    source = GitSource.open(repo.root)
    source.files(repo.git("rev-parse", "HEAD"))
    write_service(repo, "api")
    head = repo.commit("api")
    read: list[str] = []
    original = GitSource._folder

    def counting(self: GitSource, tree: Any, used: Any) -> Any:
        if tree.hexsha not in self._folders and tree.hexsha not in used.folders:
            read.append(tree.path or "/")
        return original(self, tree, used)

    monkeypatch.setattr(GitSource, "_folder", counting)
    files = source.files(head)
    assert "services/api.yaml" in files
    assert sorted(read) == ["/", "services"]  # the root and the folder that changed


def test_in_a_changed_folder_only_the_changed_files_are_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = small_platform(tmp_path)
    write_service(repo, "api")
    source = GitSource.open(repo.root)
    source.files(repo.commit("api"))
    write_service(repo, "api", instances="- {name: test, environment: test, inputs: {size: 2}}")
    head = repo.commit("api: size 2")
    read: list[str] = []
    original = GitSource._blob

    def counting(self: GitSource, blob: Any, used: Any) -> bytes:
        if blob.hexsha not in self._blobs and blob.hexsha not in used.blobs:
            read.append(blob.path)
        return original(self, blob, used)

    monkeypatch.setattr(GitSource, "_blob", counting)
    assert b"size: 2" in source.files(head)["services/api.yaml"]
    assert read == ["services/api.yaml"]


def test_the_template_majors_kept_for_history_walks_are_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import reconciler.source.git as git_module
    from tests.support.platform_repo import PlatformRepo, write_env_template

    monkeypatch.setattr(git_module, "MAJORS_KEPT", 3)
    repo = PlatformRepo(tmp_path)
    write_env_template(repo)
    path = tmp_path / "templates/env/v1/infrastructure/cloudformation.yaml"
    for n in range(6):
        path.write_text(path.read_text() + f"# {n}\n")
        head = repo.commit(f"env 1.{n}")
    source = GitSource.open(tmp_path)
    index = source.versions(head)
    assert len(source._majors_by_tree) == 3
    assert [v.version for v in index.of("env", 1)][-1] == "1.5"
