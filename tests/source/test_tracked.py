"""A remote platform repo's mirror: replicas on one host that start together share it.

Each racer is a process of its own (as two ``goldenpath serve`` would be) and waits at a
barrier, so that all of them prepare the same mirror at the same moment.
"""

from __future__ import annotations

import multiprocessing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import git
import pytest

from reconciler.errors import SourceError
from reconciler.source.tracked import TrackedRepo
from tests.support.platform_repo import PlatformRepo, small_platform

RACERS = 6
# Fetches each racer makes while the remote moves.
FETCHES = 20
# Rounds of the race in one test: each round uses a fresh cache folder.
ROUNDS = 2
JOIN_S = 120


@dataclass
class Remote:
    url: str  # a bare repository reached by URL (a path would be tracked as a local repo)
    head: str  # its main branch
    work: PlatformRepo  # a clone that pushes to it


@pytest.fixture
def remote(tmp_path: Path) -> Remote:
    work = small_platform(tmp_path / "work")
    head = work.commit("platform")
    bare = tmp_path / "remote.git"
    work.git("clone", "-q", "--bare", str(work.root), str(bare))
    return Remote(bare.as_uri(), head, work)


def _open_at_the_barrier(url: str, cache: str, barrier: Any, results: Any, n: int) -> None:
    barrier.wait()
    try:
        tracked = TrackedRepo.open(url, "main", Path(cache))
        results.put((n, "ok", tracked.head()))
    except Exception as exc:  # the test shows which racer failed, and how
        results.put((n, "failed", f"{type(exc).__name__}: {exc}"))


def _fetch_at_the_barrier(url: str, cache: str, barrier: Any, results: Any, n: int) -> None:
    failures = []
    barrier.wait()
    try:
        tracked = TrackedRepo.open(url, "main", Path(cache))
        for _ in range(FETCHES):
            try:
                tracked.fetch()
            except SourceError as exc:
                failures.append(str(exc))
    except Exception as exc:
        failures.append(f"{type(exc).__name__}: {exc}")
    results.put((n, "ok" if not failures else "failed", "; ".join(failures[:2])))


def race(url: str, cache: Path, racer: Any = _open_at_the_barrier, during: Any = None) -> list:
    """Each racer's ``(n, "ok" | "failed", detail)``; ``during()`` runs in this process
    while they race, released by the same barrier."""
    context = multiprocessing.get_context("spawn")  # fresh interpreters, like serve
    barrier = context.Barrier(RACERS if during is None else RACERS + 1)
    results = context.Queue()
    racers = [
        context.Process(target=racer, args=(url, str(cache), barrier, results, n))
        for n in range(RACERS)
    ]
    for process in racers:
        process.start()
    if during is not None:
        barrier.wait(JOIN_S)  # it starts with the racers
        during()
    found = [results.get(timeout=JOIN_S) for _ in racers]
    for process in racers:
        process.join(JOIN_S)
    return sorted(found)


@pytest.mark.slow  # a dozen fresh interpreters
def test_replicas_opening_one_mirror_at_once_all_succeed(remote: Remote, tmp_path: Path) -> None:
    url, head = remote.url, remote.head
    for round_ in range(ROUNDS):
        cache = tmp_path / f"cache-{round_}"
        found = race(url, cache)
        assert found == [(n, "ok", head) for n in range(RACERS)]
        [mirror] = [p for p in cache.iterdir() if p.is_dir()]  # no half-made folder left
        repo = git.Repo(mirror)
        assert repo.bare
        assert [(r.name, r.url) for r in repo.remotes] == [("origin", url)]
        assert repo.commit("refs/remotes/origin/main").hexsha == head


@pytest.mark.slow  # fresh interpreters, a hundred fetches
def test_replicas_fetching_one_mirror_while_the_remote_moves_never_fail(
    remote: Remote, tmp_path: Path
) -> None:
    def pushes() -> None:  # each moves main and one of a few other branches
        for n in range(FETCHES * 2):
            remote.work.commit(f"push {n}")
            remote.work.git(
                "push", "-q", "-f", remote.url, "HEAD:main", f"HEAD:refs/heads/b{n % 4}"
            )

    found = race(remote.url, tmp_path / "cache", _fetch_at_the_barrier, pushes)

    assert [(n, outcome) for n, outcome, _detail in found] == [(n, "ok") for n in range(RACERS)], (
        found
    )


def test_an_existing_mirror_is_reused_and_fetched(remote: Remote, tmp_path: Path) -> None:
    url, head = remote.url, remote.head
    first = TrackedRepo.open(url, "main", tmp_path / "cache")
    assert first.head() == head
    newer = remote.work.commit("newer")
    remote.work.git("push", "-q", url, "HEAD:refs/heads/main")

    again = TrackedRepo.open(url, "main", tmp_path / "cache")

    assert again.source.repo.git_dir == first.source.repo.git_dir
    assert again.head() == newer


def test_a_folder_in_the_mirrors_place_that_is_no_repository_is_named(
    remote: Remote, tmp_path: Path
) -> None:
    url = remote.url
    first = TrackedRepo.open(url, "main", tmp_path / "cache")
    mirror = Path(first.source.repo.git_dir)
    for path in sorted(mirror.rglob("*"), reverse=True):
        if path.is_file():
            path.unlink()
        else:
            path.rmdir()
    (mirror / "notes.txt").write_text("not a repository\n")

    with pytest.raises(SourceError, match=str(mirror)):
        TrackedRepo.open(url, "main", tmp_path / "cache")
