"""Which paths of a working tree changed, as the kernel tells a watcher (watchdog), so
that a long-running process looks at those instead of every file (``FileIndex.look``).

Events arrive on the watcher's own thread, a moment after the write. ``changed()`` first
makes sure every event up to now has arrived, the way watchman does it: it writes a
cookie file in the tree and waits until the watcher reports that very file (events of
one watch arrive in order). When that cannot be made sure (no cookie seen in time, the
tree unwatchable, an error on the watcher's thread) it answers ``None``: look at
everything. A whole look is also asked for every ``full_every`` seconds, as a safety net
against events a file system does not report (network mounts, writes through memory
maps).
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from pathlib import Path
from typing import Any

import structlog
from watchdog.events import FileSystemEventHandler
from watchdog.observers import Observer

from reconciler.source.fileindex import SKIPPED

log = structlog.get_logger(__name__)

# Where the cookies go, inside the watched tree (a folder the file index skips).
COOKIE_FOLDER = ".goldenpath"
COOKIE_PREFIX = "watch-cookie-"
# How long ``changed()`` waits for its cookie before it asks for a whole look.
COOKIE_WAIT_S = 1.0
# A whole look at least this often, whatever the watcher says.
FULL_LOOK_EVERY_S = 60.0


class TreeWatcher:
    """Paths changed under ``root`` since the last ``changed()``. Start it before the
    first look; ``close()`` it when done."""

    def __init__(self, root: Path, full_every: float = FULL_LOOK_EVERY_S) -> None:
        self.root = root
        self.full_every = full_every
        self._cookies = root / COOKIE_FOLDER
        self._lock = threading.Condition()
        self._paths: set[str] = set()
        # The cookie ``changed()`` waits for, and whether it has come. Only that one
        # counts: a cookie's later events (closed, deleted) must not pile up.
        self._awaited: str | None = None
        self._arrived = False
        self._broken = False
        self._counter = itertools.count()
        self._last_full = time.monotonic()
        self._observer = Observer()
        self._observer.schedule(_Handler(self), str(root), recursive=True)
        self._observer.start()

    def changed(self) -> set[str] | None:
        """The paths (relative, files or folders) changed since the last call; None: the
        caller should look at everything."""
        cookie = f"{COOKIE_PREFIX}{os.getpid()}-{next(self._counter)}"
        with self._lock:
            self._awaited, self._arrived = cookie, False
        try:
            self._cookies.mkdir(exist_ok=True)
            (self._cookies / cookie).write_bytes(b"")
        except OSError as exc:
            log.warning("watch.cookie_failed", root=str(self.root), error=str(exc))
            self._whole()
            return None
        try:
            with self._lock:
                arrived = self._lock.wait_for(lambda: self._arrived or self._broken, COOKIE_WAIT_S)
                self._awaited = None
                if not arrived or self._broken or self._due_whole():
                    self._broken = False
                    self._whole()
                    return None
                paths, self._paths = self._paths, set()
                return paths
        finally:
            (self._cookies / cookie).unlink(missing_ok=True)

    def wait(self, timeout: float | None = None, quiet: float = 0.0) -> bool:
        """Until a path changes (True) or ``timeout`` passes (False); then until no
        event has come for ``quiet`` seconds, so that a burst (an editor's save, a
        checkout) is one change."""
        with self._lock:
            if not self._lock.wait_for(lambda: bool(self._paths) or self._broken, timeout):
                return False
            while True:
                seen = len(self._paths)
                self._lock.wait(quiet)
                if len(self._paths) == seen:
                    return True

    def _due_whole(self) -> bool:
        return time.monotonic() - self._last_full > self.full_every

    def _whole(self) -> None:
        """Forget the paths seen: the caller looks at everything now."""
        with self._lock:
            self._paths = set()
            self._last_full = time.monotonic()

    def saw(self, path: str) -> None:
        relative = os.path.relpath(path, self.root)
        parts = Path(relative).parts
        with self._lock:
            if len(parts) == 2 and parts[0] == COOKIE_FOLDER:
                if parts[1] == self._awaited:
                    self._arrived = True
                    self._lock.notify_all()
                return
            if any(part in SKIPPED for part in parts) or relative.startswith(".."):
                return  # never part of the platform repo (the state file, git's own)
            self._paths.add(Path(relative).as_posix())
            self._lock.notify_all()

    def broke(self) -> None:
        with self._lock:
            self._broken = True
            self._lock.notify_all()

    def close(self) -> None:
        self._observer.stop()
        self._observer.join(timeout=5)


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: TreeWatcher) -> None:
        super().__init__()
        self.watcher = watcher

    def on_any_event(self, event: Any) -> None:
        if event.is_directory and event.event_type == "modified":
            return  # a folder's own time: what changed inside comes as its own events
        if event.event_type in ("opened", "closed_no_write"):
            return  # read, not written
        try:
            self.watcher.saw(os.fsdecode(event.src_path))
            destination = getattr(event, "dest_path", "")
            if destination:
                self.watcher.saw(os.fsdecode(destination))
        except Exception:  # never lose track silently: the next look is whole
            log.exception("watch.event_failed", root=str(self.watcher.root))
            self.watcher.broke()
