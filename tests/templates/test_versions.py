"""Template versions come from first-parent git history, by tree id, incrementally."""

from __future__ import annotations

from pathlib import Path

from reconciler.source.git import GitSource
from reconciler.source.worktree import WorkingTree
from reconciler.templates.versions import VersionIndex, extend
from tests.support.platform_repo import PlatformRepo, write_env_template, write_svc_template


def versions(index: VersionIndex, name: str) -> list[str]:
    return [v.version for m in index.majors(name) for v in index.of(name, m)]


def test_first_commit_is_n0_and_each_changing_commit_the_next_minor(tmp_path: Path) -> None:
    repo = PlatformRepo(tmp_path)
    write_env_template(repo)
    first = repo.commit("env 1.0")
    repo.write("README.md", "unrelated\n")
    repo.commit("docs only: no new version")
    repo.write("templates/env/v1/infrastructure/cloudformation.yaml", "Resources: {}\n")
    second = repo.commit("env 1.1")
    index = GitSource.open(tmp_path).versions(second)
    assert versions(index, "env") == ["1.0", "1.1"]
    assert index.find("env", "1.0").commit == first  # type: ignore[union-attr]
    assert index.find("env", "1").commit == second  # type: ignore[union-attr]
    assert index.find("env", "1.0").kind == "environment"  # type: ignore[union-attr]


def test_a_new_major_folder_starts_at_zero(tmp_path: Path) -> None:
    repo = PlatformRepo(tmp_path)
    write_env_template(repo)
    write_svc_template(repo)
    repo.commit("v1")
    write_svc_template(repo, major=2)
    head = repo.commit("v2")
    index = GitSource.open(tmp_path).versions(head)
    assert versions(index, "svc") == ["1.0", "2.0"]
    assert index.find("svc", "2").kind == "service"  # type: ignore[union-attr]


def test_reverting_content_is_a_new_minor(tmp_path: Path) -> None:
    repo = PlatformRepo(tmp_path)
    write_env_template(repo)
    repo.commit("1.0")
    path = tmp_path / "templates/env/v1/infrastructure/cloudformation.yaml"
    original = path.read_text()
    path.write_text(original + "# change\n")
    repo.commit("1.1")
    path.write_text(original)
    head = repo.commit("1.2 reverts to 1.0's content")
    index = GitSource.open(tmp_path).versions(head)
    assert versions(index, "env") == ["1.0", "1.1", "1.2"]
    assert index.find("env", "1.2").tree_id == index.find("env", "1.0").tree_id  # type: ignore[union-attr]


def test_merge_commits_count_once_on_the_first_parent(tmp_path: Path) -> None:
    repo = PlatformRepo(tmp_path)
    write_env_template(repo)
    repo.commit("1.0")
    repo.git("checkout", "-q", "-b", "feature")
    path = tmp_path / "templates/env/v1/infrastructure/cloudformation.yaml"
    path.write_text(path.read_text() + "# one\n")
    repo.commit("feature 1")
    path.write_text(path.read_text() + "# two\n")
    repo.commit("feature 2")
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--no-ff", "-m", "merge feature", "feature")
    head = repo.git("rev-parse", "HEAD")
    assert versions(GitSource.open(tmp_path).versions(head), "env") == ["1.0", "1.1"]


def test_extending_a_cached_index_walks_only_new_commits(tmp_path: Path) -> None:
    repo = PlatformRepo(tmp_path)
    write_env_template(repo)
    path = tmp_path / "templates/env/v1/infrastructure/cloudformation.yaml"
    for i in range(30):
        path.write_text(path.read_text() + f"# {i}\n")
        repo.commit(f"change {i}")
    source = GitSource.open(tmp_path)
    cached = source.versions(repo.git("rev-parse", "HEAD"))
    path.write_text(path.read_text() + "# new\n")
    head = repo.commit("one more")
    walked: list[int] = []
    original = source.trees

    def counting(commits):  # type: ignore[no-untyped-def]
        found = original(commits)
        walked.append(len(found))
        return found

    source.trees = counting  # type: ignore[method-assign]
    index = source.versions(head, cached)
    assert walked == [1]
    assert index == source.versions(head)  # the same as a full walk
    assert versions(index, "env")[-1] == "1.30"
    assert VersionIndex.from_json(index.to_json()) == index


def test_rewritten_history_is_walked_again(tmp_path: Path) -> None:
    repo = PlatformRepo(tmp_path)
    write_env_template(repo)
    repo.commit("1.0")
    path = tmp_path / "templates/env/v1/infrastructure/cloudformation.yaml"
    path.write_text(path.read_text() + "# a\n")
    cached = GitSource.open(tmp_path).versions(repo.commit("1.1"))
    repo.git("reset", "-q", "--hard", "HEAD~1")
    path.write_text(path.read_text() + "# b\n")
    head = repo.commit("another 1.1")
    index = GitSource.open(tmp_path).versions(head, cached)
    assert index.find("env", "1.1").commit == head  # type: ignore[union-attr]


def test_uncommitted_template_change_is_a_draft_version(tmp_path: Path) -> None:
    repo = PlatformRepo(tmp_path)
    write_env_template(repo)
    repo.commit("1.0")
    path = tmp_path / "templates/env/v1/infrastructure/cloudformation.yaml"
    path.write_text(path.read_text() + "# draft\n")
    snapshot = WorkingTree(tmp_path).snapshot()
    assert versions(snapshot.versions, "env") == ["1.0", "1.1"]
    draft = snapshot.versions.find("env", "1.1")
    assert draft is not None and draft.commit == "working-tree"
    old = snapshot.bundles.files_of(snapshot.versions.find("env", "1.0"))  # type: ignore[arg-type]
    assert b"# draft" not in old["templates/env/v1/infrastructure/cloudformation.yaml"]
    assert (
        b"# draft"
        in snapshot.bundles.files_of(draft)["templates/env/v1/infrastructure/cloudformation.yaml"]
    )


def test_a_folder_outside_git_has_draft_versions_only(tmp_path: Path) -> None:
    repo_dir = tmp_path / "plain"
    repo_dir.mkdir()
    repo = PlatformRepo.__new__(PlatformRepo)
    repo.root = repo_dir
    write_env_template(repo)
    snapshot = WorkingTree(repo_dir).snapshot()
    assert versions(snapshot.versions, "env") == ["1.0"]


def test_a_platform_repo_in_a_subfolder_of_a_monorepo(tmp_path: Path) -> None:
    repo = PlatformRepo(tmp_path)
    repo.write("app/main.py", "print('hi')\n")
    sub = PlatformRepo.__new__(PlatformRepo)
    sub.root = tmp_path / "platform"
    write_env_template(sub)
    head = repo.commit("monorepo")
    source = GitSource.open(tmp_path / "platform")
    assert source.prefix == "platform"
    assert versions(source.versions(head), "env") == ["1.0"]
    assert "templates/env/v1/schema/schema.yaml" in source.files(head)


def test_extend_is_pure_and_deterministic() -> None:
    from reconciler.templates.versions import CommitTrees

    history = [
        CommitTrees("c1", {("a", 1): ("t1", "service")}),
        CommitTrees("c2", {("a", 1): ("t1", "service")}),
        CommitTrees("c3", {("a", 1): ("t2", "service"), ("b", 1): ("t3", "environment")}),
    ]
    index = extend(VersionIndex(), history)
    assert [(v.version, v.commit) for v in index.of("a", 1)] == [("1.0", "c1"), ("1.1", "c3")]
    assert index.head == "c3"
    assert extend(extend(VersionIndex(), history[:1]), history[1:]) == index
