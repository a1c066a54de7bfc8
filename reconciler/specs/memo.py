"""A memo of derived work keyed by content, so the work of a run follows what changed.

Every key names content: a spec file by the hash of its path and bytes, a service's
units by the hash of everything they are built from, a unit's checks by its service's
key. An entry is therefore never stale, only unused. The pure core asks the memo for
many keys at once (one round trip to wherever entries are kept) and hands it what it
derived; ``flush()`` writes the new entries in one batch.

Entries live at two levels:

- live objects, in this process: a long-running process that keeps one memo re-validates
  a push without decoding anything it already holds;
- JSON values in a ``ContentStore`` (the state store's cache table), so that a new
  process (``goldenpath validate``) starts from the previous run's work.

Live entries not used by the last run are dropped at ``end_run()`` once they are a fair
share of those it used, so a long-running process holds about one repo's worth.

A long-running process also keeps, live only, what its last run made (``take_base``): the
next run takes only the delta against it (``reconciler.desired.incremental``), and says which
entries it still uses with ``carry_over`` rather than by looking each one up.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any, Protocol, TypeVar

T = TypeVar("T")
# Bump when an encoding or what a key covers changes: older entries are then unused.
MEMO_FORMAT = "6"


class ContentStore(Protocol):
    """Where JSON entries outlive a process (the state store implements it)."""

    def get_many(self, namespace: str, keys: Iterable[str]) -> Mapping[str, Any]: ...

    def put_many(self, namespace: str, entries: Mapping[str, Any]) -> None: ...


def content_key(*parts: str | bytes) -> str:
    """SHA-1 of ``parts``, each length-prefixed so that no two sequences collide."""
    chunks = [_FORMAT]
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        chunks += (b"%d:" % len(data), data)
    return hashlib.sha1(b"".join(chunks), usedforsecurity=False).hexdigest()


_FORMAT = MEMO_FORMAT.encode()
# Unused live entries are dropped once they outnumber this share of the used ones (or
# ``MIN_UNUSED``): a run that changed a few entries does not pay for a sweep of them all.
UNUSED_SHARE = 4
MIN_UNUSED = 256


class ContentMemo:
    """Live objects over an optional ``ContentStore`` of their JSON encodings."""

    def __init__(self, store: ContentStore | None = None) -> None:
        self.store = store
        self._live: dict[str, dict[str, Any]] = {}
        self._used: dict[str, set[str]] = {}
        self._last_used: dict[str, set[str]] = {}
        self._pending: dict[str, dict[str, Any]] = {}
        self._bases: dict[str, Any] = {}
        self.hits = 0
        self.misses = 0

    def fetch(
        self, namespace: str, keys: Collection[str], decode: Callable[[Any], T]
    ) -> dict[str, T]:
        """The entries found for ``keys``, decoded; missing keys are absent."""
        live = self._live.setdefault(namespace, {})
        used = self._used.setdefault(namespace, set())
        found: dict[str, T] = {k: live[k] for k in keys if k in live}
        wanted = [k for k in keys if k not in found]
        if wanted and self.store is not None:
            for key, value in self.store.get_many(namespace, wanted).items():
                found[key] = live[key] = decode(value)
        used.update(found)
        self.hits += len(found)
        self.misses += len(keys) - len(found)
        return found

    def put(self, namespace: str, key: str, value: T, encode: Callable[[T], Any]) -> None:
        """Keep ``value`` under ``key``; its encoding is written at ``flush()``."""
        self._live.setdefault(namespace, {})[key] = value
        self._used.setdefault(namespace, set()).add(key)
        if self.store is not None:
            self._pending.setdefault(namespace, {})[key] = encode(value)

    def carry_over(self, namespace: str, dropped: Iterable[str]) -> None:
        """This run uses every entry of ``namespace`` the last run used, except ``dropped``.

        For a run that reuses the last run's outcome (``base``) as a whole: it looks up
        only what changed, and the entries behind the rest stay live.
        """
        last = self._last_used.pop(namespace, None)
        if last is None:
            return  # taken already in this run: what it carried is in ``_used``
        last.difference_update(dropped)
        used = self._used.get(namespace)
        if used is not None:
            last |= used
        self._used[namespace] = last

    def take_base(self, slot: str) -> Any:
        """What a run left in ``slot`` for the next to take a delta against, or None.

        The slot is emptied: the taker owns the value and may change its parts in place,
        and a run that fails halfway leaves no half-changed base behind.
        """
        return self._bases.pop(slot, None)

    def set_base(self, slot: str, value: Any) -> None:
        """Keep ``value`` (live only, never written) as the base of the next run's delta."""
        self._bases[slot] = value

    def remember(self, namespace: str, key: str, value: Any) -> None:
        """Replace a live entry by a better-decoded form of the same content (not written)."""
        self._live.setdefault(namespace, {})[key] = value

    def flush(self) -> None:
        """Write the entries put since the last flush to the store, one batch per namespace."""
        if self.store is not None:
            for namespace, entries in self._pending.items():
                if entries:
                    self.store.put_many(namespace, entries)
        self._pending = {}

    def end_run(self) -> None:
        """Flush, then forget live entries the run did not use (once they are many)."""
        self.flush()
        for namespace, live in self._live.items():
            used = self._used.get(namespace, set())
            if len(live) - len(used) > max(MIN_UNUSED, len(used) // UNUSED_SHARE):
                for key in live.keys() - used:
                    del live[key]
        self._last_used = self._used
        self._used = {}
