"""Notifications: webhook targets told about what Goldenpath did and found.

Pure parts: ``events`` (the events as values), ``formats`` (each target format's request,
the signature). Edges: ``publish`` (queue an event in the state store's outbox, in the
transaction that records what happened), ``outbox`` and ``dispatcher`` (``serve``'s
thread that delivers, with retries), ``environment`` (which targets this process can send
to), ``expiring`` (guardrail exceptions about to end). The dispatcher (and httpx) is
imported only by what runs it: a CLI ``apply`` publishes without loading it.
"""

from reconciler.notifications.environment import MissingVariable, missing_variables
from reconciler.notifications.events import EVENT_KINDS, EventKind, Notice
from reconciler.notifications.publish import DOORBELL, publish, publish_now

__all__ = [
    "DOORBELL",
    "EVENT_KINDS",
    "EventKind",
    "MissingVariable",
    "Notice",
    "missing_variables",
    "publish",
    "publish_now",
]
