"""What the working tree held at the last look, so that the next look reads only changes.

Like git's index, each file is remembered with its stat signature (modification and
change times, size, inode) and its bytes. A later look stats every file (a few
microseconds each) and reads only those whose signature changed, or that are new.

A signature can hide a change: two writes within one tick of the filesystem's clock, of
the same size, leave mtime, ctime, size and inode as they were. Git calls such entries
"racily clean". A file whose timestamps were within ``RACY_WINDOW_NS`` of the clock when
it was read is therefore read again at the next look, until a look finds it older than
that; only then is its signature trusted.

A symbolic link is followed only when its target resolves inside the root, outside the
folders the index skips (``.git`` …). Specs and templates come from pull requests, and a
link to ``/proc/self/environ`` or ``~/.aws/credentials`` would render the process's
secrets into a template; so a look that meets a link out of the repo raises
``SourceError`` naming every such link, and reads nothing through them. (Argo CD refuses
out-of-bounds symlinks the same way.) Links to folders are never followed.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

from reconciler.errors import SourceError

# Folders that are never part of a platform repo.
SKIPPED = frozenset({".git", ".goldenpath", "__pycache__", "node_modules"})
# How close to "now" a timestamp must be for its file to be read again at the next look.
# Filesystem clocks tick coarsely (Linux: a scheduler tick, a few milliseconds; FAT: two
# seconds), and a file server's clock may differ from ours: three seconds covers a tick
# and that much skew (a timestamp ahead of our clock is never trusted). It costs little:
# only files written in the last three seconds are read again.
RACY_WINDOW_NS = 3_000_000_000

Signature = tuple[int, int, int, int]  # mtime_ns, ctime_ns, size, inode


@dataclass(frozen=True)
class _Entry:
    signature: Signature
    data: bytes
    trusted: bool  # False: written too close to the look to trust the signature


@dataclass(frozen=True)
class Look:
    """One look at the tree: every file's bytes, and the paths that differ from the last.

    A file unchanged since the last look maps to the very bytes object it did then.
    """

    files: dict[str, bytes]
    changed: frozenset[str]  # added, removed, or with other bytes than at the last look
    since: dict[str, bytes] | None  # the last look's files (None: this is the first)
    read: int  # files read from disk (the rest came from the index)


class FileIndex:
    """The files under one folder, as of the last ``look()``."""

    def __init__(self, root: Path, clock: Callable[[], int] = time.time_ns) -> None:
        self.root = root
        self.clock = clock
        # Where links must lead: the root with its own links resolved.
        self._real_root = os.path.realpath(root)
        self._entries: dict[str, _Entry] = {}
        self._files: dict[str, bytes] | None = None

    def look(self, only: Collection[str] | None = None) -> Look:
        """The files under the root now; unchanged ones (by stat) are not read again.

        ``only``: the paths that may have changed since the last look, as a watcher of
        the tree saw them (files or folders, relative to the root). Only those, and the
        files too recent to trust, are looked at; a folder among them, or a path that is
        gone and was no file, makes it a whole look (a moved folder tells nothing of its
        files). The first look is always whole, and so is the one after a look that
        raised ``SourceError`` (a link out of the repo).
        """
        try:
            if only is None or self._files is None:
                return self._look_at_all()
            return self._look_at(only)
        except SourceError:
            # The paths a watcher named are spent: the next look must be whole.
            self._files = None
            raise

    def _look_at(self, only: Collection[str]) -> Look:
        horizon = self.clock() - RACY_WINDOW_NS
        before = self._entries
        entries, files = dict(before), dict(self._files or {})
        changed: set[str] = set()
        read = 0
        untrusted = {path for path, entry in before.items() if not entry.trusted}
        for path in {p for p in only if not _skipped(p)} | untrusted:
            full = os.path.join(self.root, path)
            if os.path.realpath(full) != os.path.join(self._real_root, path):
                return self._look_at_all()  # a link on the way: judged by the whole look
            try:
                st = os.stat(full)
            except (FileNotFoundError, NotADirectoryError):
                st = None
            if st is not None and stat.S_ISDIR(st.st_mode):
                return self._look_at_all()
            if st is None or not stat.S_ISREG(st.st_mode):
                if path not in before:
                    return self._look_at_all()  # maybe a folder that moved away
                del entries[path], files[path]
                changed.add(path)
                continue
            signature = (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)
            known = before.get(path)
            if known is None:
                return self._look_at_all()  # a new file: keep the whole look's order
            if known.trusted and known.signature == signature:
                continue
            data = _read(full)
            if data is None:
                return self._look_at_all()
            read += 1
            if known.data != data:
                changed.add(path)
            else:
                data = known.data
            trusted = max(st.st_mtime_ns, st.st_ctime_ns) < horizon
            entries[path] = _Entry(signature, data, trusted)
            files[path] = data
        since, self._entries, self._files = self._files, entries, files
        return Look(files, frozenset(changed), since, read)

    def _look_at_all(self) -> Look:
        # Taken before any stat: a write after it is "recent" by any reading of the clock.
        horizon = self.clock() - RACY_WINDOW_NS
        before = self._entries
        entries: dict[str, _Entry] = {}
        files: dict[str, bytes] = {}
        changed: set[str] = set()
        read = added = 0
        for path, item, st in _walk(str(self.root)):
            signature = (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)
            known = before.get(path)
            if known is not None and known.trusted and known.signature == signature:
                entries[path] = known
                files[path] = known.data
                continue
            data = _read(item.path)
            if data is None:
                continue  # gone between the listing and the read
            read += 1
            if known is None:
                added += 1
                changed.add(path)
            elif known.data != data:
                changed.add(path)
            else:
                data = known.data  # the same bytes: keep one object, compared by identity
            trusted = max(st.st_mtime_ns, st.st_ctime_ns) < horizon
            entries[path] = _Entry(signature, data, trusted)
            files[path] = data
        if len(entries) - added != len(before):
            changed.update(before.keys() - entries.keys())  # some are gone
        since, self._entries, self._files = self._files, entries, files
        return Look(files, frozenset(changed), since, read)


def _walk(root: str) -> list[tuple[str, os.DirEntry[str], os.stat_result]]:
    """(repo-relative path, entry, stat) of every regular file, folders sorted.

    Symbolic links to files inside the repo count as files; links to folders are not
    followed; a link whose target resolves outside the repo or into a
    skipped folder raises ``SourceError``, after the walk, naming every such link.
    """
    real_root = os.path.realpath(root)
    found: list[tuple[str, os.DirEntry[str], os.stat_result]] = []
    refused: list[str] = []
    folders = [("", root)]
    while folders:
        prefix, folder = folders.pop()
        try:
            with os.scandir(folder) as listing:
                items = list(listing)
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            continue
        below = []
        for item in items:
            name = item.name
            if name in SKIPPED:
                continue
            if item.is_symlink() and not _leads_inside(item.path, real_root):
                refused.append(f"{prefix}{name} -> {_link_text(item.path)}")
                continue
            if item.is_dir(follow_symlinks=False):
                below.append((f"{prefix}{name}/", item.path))
                continue
            try:
                st = item.stat()
            except OSError:
                continue  # a dangling link, or gone since the listing
            if stat.S_ISREG(st.st_mode):
                found.append((prefix + name, item, st))
        # Depth first, folders in name order (popped from the end, so pushed reversed).
        folders.extend(sorted(below, reverse=True))
    if refused:
        raise SourceError(
            "symbolic links that lead out of the platform repo are refused, and "
            f"nothing is read through them: {'; '.join(sorted(refused))}; expected links "
            "to files inside the repo (outside .git and the other skipped folders), or "
            "regular files"
        )
    return found


def _leads_inside(link: str, real_root: str) -> bool:
    """Whether the link's target, fully resolved, is in the repo and not in a skipped folder."""
    target = os.path.realpath(link)
    if target != real_root and not target.startswith(real_root.rstrip(os.sep) + os.sep):
        return False
    return not _skipped(os.path.relpath(target, real_root).replace(os.sep, "/"))


def _link_text(link: str) -> str:
    try:
        return os.readlink(link)
    except OSError:
        return "?"


def _skipped(path: str) -> bool:
    """A path the index never holds: under a skipped folder, or outside the root."""
    parts = path.split("/")
    return path.startswith("/") or ".." in parts or any(part in SKIPPED for part in parts)


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except (FileNotFoundError, IsADirectoryError):
        return None
