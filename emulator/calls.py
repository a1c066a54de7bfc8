"""The AWS API calls the emulator answered, by action: how benchmarks and tests count
what a tool asks of the cloud without a proxy in the way.

``GET /_goldenpath/calls`` lists them; ``DELETE /_goldenpath/calls`` lists and clears them.
An action is read as AWS reads it: the ``X-Amz-Target`` header (JSON protocols), else
``Action`` in the query string or the form body (query protocols, CloudFormation's).
"""

from __future__ import annotations

import io
import threading
from collections import Counter
from typing import Any
from urllib.parse import parse_qs

# Form bodies read to find their Action; CloudFormation's inline templates stay below it.
MAX_FORM_BYTES = 1024 * 1024
UNKNOWN = "(unknown)"


class CallBook:
    """Calls counted by action; safe to share between the server's threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: Counter[str] = Counter()

    def count(self, action: str) -> None:
        with self._lock:
            self._calls[action] += 1

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self._calls.items()))

    def take(self) -> dict[str, int]:
        """The counts so far; the book starts again from zero."""
        with self._lock:
            taken = dict(sorted(self._calls.items()))
            self._calls.clear()
        return taken


CALLS = CallBook()


def action_of(environ: dict[str, Any]) -> str:
    """The API action of a WSGI request; a form body read here is put back for moto."""
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return str(target).rsplit(".", 1)[-1]
    found = _action(environ.get("QUERY_STRING", ""))
    if found:
        return found
    content_type = str(environ.get("CONTENT_TYPE", ""))
    if not content_type.startswith("application/x-www-form-urlencoded"):
        return UNKNOWN
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return UNKNOWN
    if not 0 < length <= MAX_FORM_BYTES:
        return UNKNOWN
    body = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)
    return _action(body.decode("utf-8", errors="replace")) or UNKNOWN


def _action(query: str) -> str | None:
    values = parse_qs(query).get("Action")
    return values[-1] if values else None
