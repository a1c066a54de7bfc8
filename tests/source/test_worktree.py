"""A working tree kept between snapshots sees every change: files, commits, templates."""

from __future__ import annotations

from pathlib import Path

from reconciler.source.worktree import WorkingTree
from tests.support.platform_repo import small_platform, write_service

SVC = "templates/svc/v1/instance_infrastructure/cloudformation.yaml"


def versions(tree: WorkingTree) -> list[str]:
    index = tree.snapshot().versions
    return [f"{v.version}@{v.commit[:7]}" for m in index.majors("svc") for v in index.of("svc", m)]


def test_a_kept_working_tree_gives_each_snapshot_the_files_on_disk(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    tree = WorkingTree(repo.root)
    first = tree.snapshot()
    write_service(repo, "api")
    repo.remove("services/web.yaml")
    second = tree.snapshot()
    assert "services/api.yaml" in second.files and "services/web.yaml" not in second.files
    assert second.files == WorkingTree(repo.root).snapshot().files
    assert second.changes is not None and second.changes.since is first.files
    assert second.changes.paths == {"services/api.yaml", "services/web.yaml"}


def test_a_kept_working_tree_sees_a_template_changed_then_committed(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    tree = WorkingTree(repo.root)
    assert versions(tree) == [f"1.0@{repo.git('rev-parse', 'HEAD')[:7]}"]
    path = repo.root / SVC
    path.write_text(path.read_text() + "# 1.1\n")
    assert [v.split("@")[0] for v in versions(tree)] == ["1.0", "1.1"]
    assert versions(tree)[1].endswith("@working")  # a draft
    head = repo.commit("svc 1.1")
    assert versions(tree) == versions(WorkingTree(repo.root))
    assert versions(tree)[1] == f"1.1@{head[:7]}"
    path.write_text(path.read_text().replace("# 1.1\n", ""))
    assert versions(tree) == versions(WorkingTree(repo.root))  # 1.2, a draft back to 1.0's
