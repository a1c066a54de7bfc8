"""Which deliveries have been taken already, so a redelivery does no work twice.

Forges redeliver on timeouts and on a user's "Redeliver" click, with the same delivery
id. The receiver asks :meth:`DeliveryLog.first_time` after a delivery is verified and
parsed, and only the first asker gets True. :class:`RecentDeliveries` keeps a bounded
window in memory; a state-store-backed log can replace it for several replicas.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Protocol


class DeliveryLog(Protocol):
    """An atomic check-and-record of delivery ids."""

    def first_time(self, delivery_id: str) -> bool:
        """Record ``delivery_id``; True only if it was not recorded before."""
        ...

    def forget(self, delivery_id: str) -> None:
        """Drop ``delivery_id`` again: the delivery was taken but could not be enqueued,
        so its redelivery must be allowed to do the work."""
        ...


class RecentDeliveries:
    """The last ``capacity`` delivery ids, in memory; the oldest fall out first."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self._capacity = capacity
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, delivery_id: str) -> bool:
        with self._lock:
            if delivery_id in self._seen:
                return False
            self._seen[delivery_id] = None
            if len(self._seen) > self._capacity:
                self._seen.popitem(last=False)
            return True

    def forget(self, delivery_id: str) -> None:
        with self._lock:
            self._seen.pop(delivery_id, None)
