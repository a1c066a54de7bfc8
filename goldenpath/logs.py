"""structlog set-up: console lines in a terminal, JSON lines otherwise, always on stderr.

Stdout belongs to the command's own output (tables, or JSON for scripts), so logs never
mix with it.
"""

from __future__ import annotations

import logging
import sys

import structlog


def configure(
    *,
    verbose: bool = False,
    json_logs: bool | None = None,
    redact: structlog.typing.Processor | None = None,
) -> None:
    """Logs on stderr; ``redact`` blanks secrets (forge tokens, webhook secrets) first."""
    level = logging.DEBUG if verbose else logging.INFO
    as_json = json_logs if json_logs is not None else not sys.stderr.isatty()
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if as_json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            *([redact] if redact is not None else []),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)


def _stderr_logger(*_args: object) -> structlog.PrintLogger:
    # sys.stderr as it is when the logger is made, not when logging was configured: tests
    # and embedding programs swap it, and a closed stream must never be written to.
    return structlog.PrintLogger(sys.stderr)
