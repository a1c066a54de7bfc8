"""When a local branch moves, as the kernel tells a watcher (watchdog), so that ``serve``
applies a commit within a second and does nothing at all while the repository is idle.

``serve`` applies the tracked branch's committed head, so only git's own writes of that
branch's ref matter: ``refs/heads/<branch>`` (a commit, merge, reset or pull moves it) and
``packed-refs`` (where ``git pack-refs`` and ``git gc`` keep it). Only the folders that
hold them are watched, and only for writes. Reading the repository never reaches this
watcher: each look at the head and each reconcile reads refs and objects, and a watcher of
the whole tree that counted reads (watchdog's opened and closed-without-write events) woke
on its own reads and looked again, twice a second, forever. An edit of the working tree
that is not committed is not watched either: there is nothing to apply until the commit.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import structlog
from watchdog.events import (
    EventsLostEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer

log = structlog.get_logger(__name__)
# Writes within this many seconds of each other make one call: a rebase or a pull moves
# the ref several times, and ``git gc`` rewrites packed-refs and removes the loose ref.
QUIET_S = 0.5
# The events that change a file's content. Asking for these alone keeps inotify from even
# reporting opens and reads; other back ends (polling, kqueue) are filtered in the handler.
WRITES: list[type[FileSystemEvent]] = [
    FileCreatedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileDeletedEvent,
    FileClosedEvent,
]
# What watchdog passes on: the writes, and word that the kernel dropped events (which
# needs no mask of its own, the kernel always reports it).
PASSED: list[type[FileSystemEvent]] = [*WRITES, EventsLostEvent]
PACKED_REFS = "packed-refs"


class BranchWatcher:
    """Calls ``moved(ref)`` once ``branch``'s ref in the repository at ``git_dir`` (its
    common folder: the one holding ``refs/``) was written and then left alone for
    ``quiet`` seconds. The call comes on a timer thread. ``close()`` it when done."""

    def __init__(
        self,
        git_dir: Path,
        branch: str,
        moved: Callable[[str], None],
        quiet: float = QUIET_S,
    ) -> None:
        self.git_dir = git_dir.resolve()  # as the events will name it
        self.branch = branch
        self.quiet = quiet
        self._moved = moved
        self._refs = {f"refs/heads/{branch}", PACKED_REFS}
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._closed = False
        self._observer = Observer()
        handler = _Handler(self)
        # Not recursive: packed-refs sits at the top, beside index, HEAD and objects/.
        self._observer.schedule(handler, str(self.git_dir), event_filter=PASSED)
        # Recursive: a branch named release/1 lives in a folder of its own.
        self._observer.schedule(
            handler, str(self.git_dir / "refs" / "heads"), recursive=True, event_filter=PASSED
        )
        self._observer.start()

    def wrote(self, path: str) -> None:
        """A write event at ``path`` arrived: count it if it is the branch's ref."""
        ref = Path(os.path.relpath(path, self.git_dir)).as_posix()
        if ref in self._refs:
            self._soon(ref)
        # else: another branch, a lock file, the index, a reflog

    def lost(self) -> None:
        """The kernel dropped events (its queue overflowed): the branch may have moved."""
        self._soon("events lost")

    def _soon(self, what: str) -> None:
        with self._lock:
            if self._closed:
                return
            if self._timer is not None:
                self._timer.cancel()
            self._timer = threading.Timer(self.quiet, self._moved, (what,))
            self._timer.daemon = True
            self._timer.start()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._timer is not None:
                self._timer.cancel()
        self._observer.stop()
        self._observer.join(timeout=5)


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: BranchWatcher) -> None:
        super().__init__()
        self.watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        if isinstance(event, EventsLostEvent):
            self.watcher.lost()
            return
        if event.is_directory or type(event) not in WRITES:
            return  # a read (opened, closed without writing) or a folder's own time
        try:
            # git writes ``<ref>.lock`` and renames it onto the ref: the ref is the
            # destination of the move.
            for path in (event.src_path, getattr(event, "dest_path", "")):
                if path:
                    self.watcher.wrote(os.fsdecode(path))
        except Exception:  # the watcher's thread must live on; the poll is the safety net
            log.exception("watch.branch_event_failed", git_dir=str(self.watcher.git_dir))
