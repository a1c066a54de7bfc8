"""``serve``'s notifications: check the targets' variables, then run the dispatcher.

At start, each target of goldenpath.yaml whose ``urlFrom`` or ``secretFrom`` variable is
not set is logged as an error (``notification.target_unusable``, naming the variable,
the file and line). That target fails alone: its events are still queued and wait in the
outbox for a process that has the variable; serve, the reconciler and the other targets
carry on. The values of the variables (URLs are secrets too: Slack's are) are added to
what the logs blank.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import httpx
import structlog

from reconciler.forges import RedactSecrets
from reconciler.notifications import missing_variables
from reconciler.notifications.dispatcher import Dispatcher, DispatchSettings
from reconciler.specs.model import Platform
from reconciler.state import StateStore

log = structlog.get_logger(__name__)


@dataclass
class Notifying:
    """The dispatcher and its thread."""

    dispatcher: Dispatcher
    thread: threading.Thread

    def stop(self, timeout: float = 30.0) -> None:
        """Let the requests in flight end and be recorded; the rest wait in the outbox."""
        self.dispatcher.stop()
        self.thread.join(timeout)


def start_notifying(
    store: StateStore,
    platform: Platform,
    environ: Mapping[str, str],
    *,
    holder: str,
    public_url: str | None,
    settings: DispatchSettings | None = None,
) -> Notifying:
    """Report unusable targets, then start the dispatcher on a thread of its own."""
    report_targets(platform, environ)
    settings = settings or DispatchSettings()
    dispatcher = Dispatcher(
        store,
        dict(environ),
        holder,
        httpx.Client(timeout=settings.timeout, follow_redirects=False),
        settings,
        public_url=public_url,
    )
    thread = threading.Thread(target=dispatcher.run, name="notify", daemon=True)
    thread.start()
    return Notifying(dispatcher, thread)


def report_targets(platform: Platform, environ: Mapping[str, str]) -> None:
    """Log an error for each target whose variable is not set, and blank the values of
    those that are from the logs. At start, and whenever goldenpath.yaml's targets change."""
    for missing in missing_variables(platform.notifications, environ):
        origin = missing.target.origin
        log.error(
            "notification.target_unusable",
            target=missing.target.name,
            variable=missing.variable,
            setting=missing.setting,
            where=f"{origin.file}:{origin.line}" if origin.line else origin.file,
            message=str(missing),
        )
    _redact_also(
        environ[name]
        for target in platform.notifications
        for name in target.variables
        if environ.get(name)
    )


def _redact_also(values: Iterable[str]) -> None:
    found = list(values)
    for processor in structlog.get_config()["processors"]:
        if isinstance(processor, RedactSecrets):
            processor.add(found)
