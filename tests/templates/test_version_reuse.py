"""A version index reused from a cache gives exactly the numbers a walk from the first
commit gives: indexes are reused only along first-parent chains (DESIGN.md: "the same
repo always gives the same numbers, even after state is lost")."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from reconciler.caching import INDEXES_KEPT, VERSIONS, StoredVersionIndexes, committed_snapshot
from reconciler.source.git import GitSource
from reconciler.state import StateStore
from reconciler.templates.versions import VersionIndex
from tests.support.platform_repo import PlatformRepo, write_env_template, write_svc_template

TEMPLATE = "templates/env/v1/infrastructure/cloudformation.yaml"


def versions(index: VersionIndex, name: str = "env") -> list[str]:
    return [v.version for m in index.majors(name) for v in index.of(name, m)]


def change(repo: PlatformRepo, text: str) -> None:
    path = repo.root / TEMPLATE
    path.write_text(path.read_text() + f"# {text}\n")


def merged_feature(tmp_path: Path) -> tuple[PlatformRepo, str, str]:
    """init holds the template; feat changes it twice; main gets one unrelated commit and
    then merges feat with a merge commit. Returns the repo, feat's head and the merge."""
    repo = PlatformRepo(tmp_path)
    write_env_template(repo)
    repo.commit("init")
    repo.git("checkout", "-q", "-b", "feat")
    change(repo, "one")
    repo.commit("feat 1")
    change(repo, "two")
    feat = repo.commit("feat 2")
    repo.git("checkout", "-q", "main")
    repo.write("README.md", "unrelated\n")
    repo.commit("unrelated")
    repo.git("merge", "-q", "--no-ff", "-m", "merge feat", "feat")
    return repo, feat, repo.git("rev-parse", "HEAD")


@pytest.fixture
def store(tmp_path: Path) -> StateStore:
    opened = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")
    yield opened  # type: ignore[misc]
    opened.close()


def test_an_index_cached_at_a_merged_branch_head_gives_the_cold_numbers(tmp_path: Path) -> None:
    repo, feat, merge = merged_feature(tmp_path / "repo")
    source = GitSource.open(repo.root)
    cold = source.versions(merge)
    assert versions(cold) == ["1.0", "1.1"]
    assert cold.find("env", "1.1").commit == merge  # type: ignore[union-attr]
    assert source.versions(merge, source.versions(feat)) == cold


def test_the_stored_index_of_a_feature_branch_does_not_number_main(
    tmp_path: Path, store: StateStore
) -> None:
    repo, feat, merge = merged_feature(tmp_path / "repo")
    committed_snapshot(GitSource.open(repo.root), feat, store)
    snapshot = committed_snapshot(GitSource.open(repo.root), merge, store)
    assert versions(snapshot.versions) == ["1.0", "1.1"]


def counting_trees(source: GitSource) -> list[int]:
    """How many commits each history walk of ``source`` reads the trees of."""
    walked: list[int] = []
    original = source.trees

    def counting(commits):  # type: ignore[no-untyped-def]
        found = original(commits)
        walked.append(len(found))
        return found

    source.trees = counting  # type: ignore[method-assign]
    return walked


def test_checking_a_change_request_keeps_its_base_index_and_walks_only_its_commits(
    tmp_path: Path, store: StateStore
) -> None:
    repo = PlatformRepo(tmp_path / "repo")
    write_env_template(repo)
    for n in range(5):
        change(repo, f"main {n}")
        repo.commit(f"main {n}")
    fork = repo.git("rev-parse", "HEAD")
    change(repo, "main after the fork")
    base = repo.commit("main after the fork")
    repo.git("checkout", "-q", "-b", "change", fork)
    change(repo, "change 1")
    repo.commit("change 1")
    change(repo, "change 2")
    head = repo.commit("change 2")
    source = GitSource.open(repo.root)
    committed_snapshot(source, base, store)  # the tracked branch, as serve's loop reads it
    walked = counting_trees(source)
    at_head = committed_snapshot(source, head, store).versions
    assert walked == [2]  # the change request's own commits; main's index is cut back
    assert at_head == GitSource.open(repo.root).versions(head)
    assert versions(at_head) == ["1.0", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6"]
    walked.clear()
    at_base = committed_snapshot(source, base, store).versions
    assert walked == []  # the base's index is still kept: read, not walked
    assert versions(at_base)[-1] == "1.5"


def test_an_older_commit_on_the_chain_is_cut_back_from_a_newer_index(
    tmp_path: Path, store: StateStore
) -> None:
    repo = PlatformRepo(tmp_path / "repo")
    write_env_template(repo)
    repo.commit("1.0")
    change(repo, "a")
    old = repo.commit("1.1")
    change(repo, "b")
    new = repo.commit("1.2")
    source = GitSource.open(repo.root)
    committed_snapshot(source, new, store)
    walked = counting_trees(source)
    assert versions(committed_snapshot(source, old, store).versions) == ["1.0", "1.1"]
    assert walked == [0]


def test_only_the_most_recently_used_indexes_are_kept(tmp_path: Path, store: StateStore) -> None:
    repo = PlatformRepo(tmp_path / "repo")
    write_env_template(repo)
    commits = [repo.commit(f"commit {n}") for n in range(INDEXES_KEPT + 2)]
    source = GitSource.open(repo.root)
    for commit in commits:
        committed_snapshot(source, commit, store)
    committed_snapshot(source, commits[1], store)  # used again: it moves to the front
    key = f"{source.repo.git_dir}:{source.prefix}"
    kept = StoredVersionIndexes(store, key)
    assert list(kept) == [commits[1], *commits[::-1][: INDEXES_KEPT - 1]]
    assert store.cache_get(VERSIONS, f"{key}@{commits[0]}") is None  # dropped, not orphaned
    assert kept[commits[1]].head == commits[1]


def test_a_listed_index_whose_entry_is_gone_is_derived_again(
    tmp_path: Path, store: StateStore
) -> None:
    repo = PlatformRepo(tmp_path / "repo")
    write_env_template(repo)
    head = repo.commit("1.0")
    source = GitSource.open(repo.root)
    committed_snapshot(source, head, store)
    store.cache_delete(VERSIONS, f"{source.repo.git_dir}:{source.prefix}@{head}")
    assert versions(committed_snapshot(GitSource.open(repo.root), head, store).versions) == ["1.0"]


class RandomHistory:
    """A small random platform repo: branches, template changes, merges, folders that go
    and come back; every commit made is remembered."""

    def __init__(self, root: Path, seed: int) -> None:
        self.random = random.Random(seed)
        self.repo = PlatformRepo(root)
        write_env_template(self.repo)
        self.commits = [self.repo.commit("init")]
        self.branches = ["main"]
        self.current = "main"

    def step(self, n: int) -> None:
        move = self.random.choice(
            ["change", "change", "unrelated", "branch", "switch", "merge", "merge", "svc"]
        )
        if move == "branch":
            self.current = f"b{n}"
            self.repo.git("checkout", "-q", "-b", self.current)
            self.branches.append(self.current)
            return
        if move == "switch":
            self.current = self.random.choice(self.branches)
            self.repo.git("checkout", "-q", self.current)
            return
        if move == "merge":
            other = self.random.choice([b for b in self.branches if b != self.current] or ["main"])
            if other == self.current:
                return
            fast_forward = self.random.random() < 0.3
            mode = "--ff" if fast_forward else "--no-ff"
            self.repo.git("merge", "-q", mode, "-X", "theirs", "-m", f"merge {other}", other)
        elif move == "change":
            change(self.repo, f"{self.current} {n}")
            self.repo.commit(f"change {n}")
        elif move == "unrelated":
            self.repo.write(f"notes/{n}.md", f"{n}\n")
            self.repo.commit(f"unrelated {n}")
        elif (self.repo.root / "templates/svc").exists():
            self.repo.remove("templates/svc")
            self.repo.commit(f"svc goes {n}")
        else:
            write_svc_template(self.repo)
            self.repo.commit(f"svc comes back {n}")
        self.commits.append(self.repo.git("rev-parse", "HEAD"))


@pytest.mark.parametrize("seed", range(6))
def test_reused_indexes_always_equal_a_cold_walk(tmp_path: Path, seed: int) -> None:
    history = RandomHistory(tmp_path / "repo", seed)
    for n in range(24):
        history.step(n)
    commits = list(dict.fromkeys(history.commits))
    source = GitSource.open(history.repo.root)
    cold = {c: GitSource.open(history.repo.root).versions(c) for c in commits}
    # Requests in a random order, each from the few most recently used indexes.
    kept: dict[str, VersionIndex] = {}
    order = history.random.choices(commits, k=60)
    for commit in order:
        found = source.versions(commit, kept)
        assert found == cold[commit], f"seed {seed}: {commit} differs from a cold walk"
        kept = {commit: found, **{h: i for h, i in kept.items() if h != commit}}
        kept = dict(list(kept.items())[:3])
        # And from any single other index, as the one-index cache of a working tree has.
        single = cold[history.random.choice(commits)]
        assert source.versions(commit, single) == cold[commit]
