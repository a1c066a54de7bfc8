"""A structlog processor that blanks known secrets out of every log event.

The forge clients never log headers or request bodies, so tokens should never reach a
log line. This is the second line of defence for what they do log (paths, messages from
the forge, exceptions): install it in ``structlog.configure(processors=[...])`` before
the renderer, with every secret the process holds.
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping
from typing import Any

REDACTED = "[redacted]"
MIN_SECRET_LENGTH = 4  # shorter strings would blank ordinary words; no real token is this short


class RedactSecrets:
    """Replace each known secret, wherever it appears in an event's values, by REDACTED."""

    def __init__(self, secrets: Iterable[str]) -> None:
        unique = {s for s in secrets if len(s) >= MIN_SECRET_LENGTH}
        # Longest first, so a secret containing another is blanked whole.
        self._secrets = sorted(unique, key=len, reverse=True)

    def add(self, secrets: Iterable[str]) -> None:
        """Blank these too from now on (secrets known only once the repo is read)."""
        unique = set(self._secrets) | {s for s in secrets if len(s) >= MIN_SECRET_LENGTH}
        self._secrets = sorted(unique, key=len, reverse=True)  # one assignment: thread-safe

    def __call__(
        self, logger: object, method_name: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        if not self._secrets:
            return event_dict
        for key, value in event_dict.items():
            if value is None or isinstance(value, int | float):
                continue
            # Anything else may render with a secret inside (an exception's message, a
            # dict): scrub its text, and replace the value only when something was found.
            text = value if isinstance(value, str) else repr(value)
            scrubbed = self._scrub(text)
            if scrubbed != text:
                event_dict[key] = scrubbed
        return event_dict

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text
