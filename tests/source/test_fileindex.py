"""The file index reads only what changed, and a stat that looks unchanged cannot fool it."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from reconciler.source import fileindex
from reconciler.source.fileindex import RACY_WINDOW_NS, FileIndex


def later() -> int:
    """A clock far enough ahead that every file on disk is older than the racy window."""
    return time.time_ns() + 10 * RACY_WINDOW_NS


def tree(root: Path, files: dict[str, str]) -> Path:
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return root


def signature(path: Path) -> tuple[int, int, int, int]:
    st = path.stat()
    return (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)


def test_an_unchanged_file_is_not_read_again(tmp_path: Path) -> None:
    tree(tmp_path, {"goldenpath.yaml": "a: 1\n", "services/web.yaml": "b: 2\n"})
    index = FileIndex(tmp_path, clock=later)
    first = index.look()
    again = index.look()
    assert (first.read, again.read) == (2, 0)
    assert again.changed == frozenset()
    assert again.since is first.files
    assert all(again.files[p] is first.files[p] for p in first.files)


def test_a_changed_added_or_removed_file_is_a_change(tmp_path: Path) -> None:
    tree(tmp_path, {"a.yaml": "a: 1\n", "b.yaml": "b: 1\n", "c.yaml": "c: 1\n"})
    index = FileIndex(tmp_path, clock=later)
    index.look()
    (tmp_path / "a.yaml").write_text("a: 22\n")
    (tmp_path / "b.yaml").unlink()
    (tmp_path / "d.yaml").write_text("d: 1\n")
    look = index.look()
    assert look.changed == {"a.yaml", "b.yaml", "d.yaml"}
    assert look.files == {"a.yaml": b"a: 22\n", "c.yaml": b"c: 1\n", "d.yaml": b"d: 1\n"}
    assert look.read == 2


def test_a_file_written_just_before_a_look_is_read_again_until_it_is_old(
    tmp_path: Path,
) -> None:
    tree(tmp_path, {"a.yaml": "a: 1\n"})
    now = [time.time_ns()]
    index = FileIndex(tmp_path, clock=lambda: now[0])
    first = index.look()
    again = index.look()
    assert again.read == 1  # its timestamps are too close to the look to be trusted
    assert again.changed == frozenset()
    assert again.files["a.yaml"] is first.files["a.yaml"]  # the same bytes, kept by identity
    now[0] += 2 * RACY_WINDOW_NS
    assert index.look().read == 1  # read once more, now old enough to be trusted
    assert index.look().read == 0


def rewrite_behind_an_unchanged_stat(
    root: Path, index: FileIndex, monkeypatch: pytest.MonkeyPatch
) -> bytes:
    """Look, rewrite a file as a coarse filesystem clock would hide it, look again."""
    path = root / "services/web.yaml"
    path.parent.mkdir()
    path.write_bytes(b"port: 8000\n")
    index.look()
    # A filesystem whose clock ticks coarser than two writes reports the first write's
    # mtime and ctime after the second; the size and inode are the same anyway.
    first = fileindex._walk(str(root))
    monkeypatch.setattr(fileindex, "_walk", lambda _root: first)
    path.write_bytes(b"port: 9000\n")
    return index.look().files["services/web.yaml"]


def test_a_rewrite_that_leaves_the_stat_as_it_was_is_seen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert rewrite_behind_an_unchanged_stat(tmp_path, FileIndex(tmp_path), monkeypatch) == (
        b"port: 9000\n"
    )


def test_only_the_racy_window_keeps_such_a_rewrite_from_being_missed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The same rewrite, with a clock that makes the first write look old: it is missed.
    index = FileIndex(tmp_path, clock=later)
    assert rewrite_behind_an_unchanged_stat(tmp_path, index, monkeypatch) == b"port: 8000\n"


def test_skipped_folders_and_linked_folders_are_left_out(tmp_path: Path) -> None:
    tree(
        tmp_path,
        {
            "services/web.yaml": "a: 1\n",
            ".git/config": "x\n",
            "node_modules/m/index.js": "x\n",
            "elsewhere/x.yaml": "x: 1\n",
        },
    )
    os.symlink(tmp_path / "elsewhere", tmp_path / "linked")
    os.symlink(tmp_path / "services/web.yaml", tmp_path / "web-link.yaml")
    os.symlink(tmp_path / "nowhere.yaml", tmp_path / "dangling.yaml")
    files = FileIndex(tmp_path, clock=later).look().files
    assert set(files) == {"services/web.yaml", "elsewhere/x.yaml", "web-link.yaml"}
