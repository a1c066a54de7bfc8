"""Renders one Proton Jinja CloudFormation file, in the sandbox, within limits.

Proton renders with plain Jinja defaults, and the corpus depends on them (RENDERING-NOTES
quirk 1: no ``trim_blocks``/``lstrip_blocks``). What Goldenpath adds is strictness and
safety: an undefined value is an error that names the template line and the missing path,
and a render that runs too long or writes too much is aborted.

Each template is compiled once (keyed by path and the SHA-256 of its source) and kept in a
bounded LRU; validating thousands of instances renders the same few templates again and
again.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import structlog
from jinja2 import Template
from jinja2.exceptions import SecurityError, TemplateNotFound, TemplateSyntaxError
from jinja2.utils import missing

from reconciler.errors import RenderError
from reconciler.render._context import template_data
from reconciler.render._filters import PROTON_FILTERS, ProtonFilterError
from reconciler.render._layout import lay_out_blocks
from reconciler.render._sandbox import (
    CURRENT_BUDGET,
    Budget,
    LimitExceeded,
    MissingValue,
    ProtonSandbox,
)
from reconciler.templates.model import TemplateFile

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class RenderLimits:
    """How much one render may take: generous for real templates, tight for abuse."""

    # CloudFormation takes a template body of at most 1 MB (from S3); a bigger one could
    # never be deployed. Also bounds every string and list a template builds on the way.
    max_output_bytes: int = 1_048_576
    # Wall time for one render. Corpus templates take well under a millisecond each
    # (bench/render_validate.py).
    max_seconds: float = 2.0
    # Total characters one render may create by widening strings (repetition, padding,
    # indent, replace, format widths), however often a loop or map repeats them.
    max_widened_bytes: int = 16 * 1_048_576
    # Compiled templates kept in memory (least recently used are dropped first).
    max_compiled_templates: int = 1024
    # Deepest nesting accepted in a context; deeper means a recursive YAML alias.
    max_context_depth: int = 32


DEFAULT_LIMITS = RenderLimits()


def _whole_floats_as_ints(value: Any) -> Any:
    """Jinja ``finalize``: ``{{ port / 2 }}`` of 80 renders ``40``, as Proton does (quirk 2)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _as_json(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


class Renderer:
    """Renders Proton Jinja templates; safe to share between threads."""

    def __init__(
        self, limits: RenderLimits = DEFAULT_LIMITS, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = limits
        self._clock = clock
        self._sandbox = ProtonSandbox(finalize=_whole_floats_as_ints)
        self._sandbox.filters.update(PROTON_FILTERS)
        # tojson must serialize the context's own mappings (components, pending outputs),
        # and keep Jinja's sorted keys (quirk 7).
        self._sandbox.policies["json.dumps_kwargs"] = {"sort_keys": True, "default": _as_json}
        self._compiled: OrderedDict[tuple[str, str], Template] = OrderedDict()
        self._lock = threading.Lock()

    def render(self, file: TemplateFile, context: Mapping[str, Any]) -> str:
        """The rendered body of ``file``.

        Raises ``RenderError`` with the template path and line for a syntax error, an
        undefined value, a refused filter input, a sandbox violation or a limit exceeded.
        """
        template = self._template(file)
        try:
            data = template_data(context, max_depth=self.limits.max_context_depth)
        except ValueError as exc:
            raise RenderError(file.path, None, str(exc)) from exc
        budget = Budget(
            deadline=self._clock() + self.limits.max_seconds,
            clock=self._clock,
            max_chars=self.limits.max_output_bytes,
            max_widened=self.limits.max_widened_bytes,
            max_seconds=self.limits.max_seconds,
        )
        token = CURRENT_BUDGET.set(budget)
        try:
            body = _generate(template.generate(data), budget)
        except Exception as exc:
            raise _render_error(file.path, exc, data) from exc
        finally:
            CURRENT_BUDGET.reset(token)
        body = lay_out_blocks(body)
        size = len(body.encode())
        if size > self.limits.max_output_bytes:
            raise RenderError(
                file.path,
                None,
                f"the rendered template is {size:,} bytes, over the limit of "
                f"{self.limits.max_output_bytes:,}",
            )
        return body

    def check_syntax(self, file: TemplateFile) -> None:
        """Compiles ``file`` without rendering it; raises ``RenderError`` on a syntax error."""
        self._template(file)

    def _template(self, file: TemplateFile) -> Template:
        key = (file.path, hashlib.sha256(file.source.encode()).hexdigest())
        with self._lock:
            template = self._compiled.get(key)
            if template is not None:
                self._compiled.move_to_end(key)
                return template
        try:
            tree = self._sandbox.parse_guarded(file.source, file.path)
            code = self._sandbox.compile(tree, name=file.path, filename=file.path)
        except TemplateSyntaxError as exc:
            raise RenderError(file.path, exc.lineno, f"template syntax: {exc.message}") from exc
        template = self._sandbox.template_class.from_code(
            self._sandbox, code, self._sandbox.make_globals(None)
        )
        with self._lock:
            self._compiled[key] = template
            while len(self._compiled) > self.limits.max_compiled_templates:
                self._compiled.popitem(last=False)
        log.debug("render.compiled", file=file.path, sha256=key[1][:12])
        return template


def _generate(stream: Iterator[str], budget: Budget) -> str:
    chunks: list[str] = []
    size = 0
    for chunk in stream:
        chunks.append(chunk)
        size += len(chunk)
        try:
            budget.check_size(size, "the rendered template")
            budget.tick()
        except LimitExceeded as exc:
            # Raised inside the template, so the traceback points at the line being rendered.
            stream.throw(exc)  # type: ignore[attr-defined]
    return "".join(chunks)


def _render_error(path: str, exc: Exception, data: Mapping[str, Any]) -> RenderError:
    line = _template_line(exc.__traceback__, path)
    if isinstance(exc, RenderError):
        return exc
    if isinstance(exc, LimitExceeded):
        message = f"render aborted: {exc}"
    elif isinstance(exc, SecurityError):
        message = f"not allowed in the template sandbox: {exc}"
    elif isinstance(exc, MissingValue):
        message = _describe_missing(exc, data)
    elif isinstance(exc, TemplateNotFound):
        message = (
            "templates cannot include, import or extend other templates: Proton renders "
            f"each file on its own (asked for {exc.name!r})"
        )
    elif isinstance(exc, RecursionError):
        message = "recursion too deep: a macro or recursive loop that does not end"
    elif isinstance(exc, ProtonFilterError):
        message = str(exc)
    else:
        message = f"{type(exc).__name__}: {exc}"
    return RenderError(path, line, message)


def _template_line(traceback: TracebackType | None, path: str) -> int | None:
    """The innermost template line in a traceback that Jinja rewrote to template lines."""
    line = None
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename == path:
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return line


def _describe_missing(exc: MissingValue, data: Mapping[str, Any]) -> str:
    if exc.obj is missing:
        return f"{exc.name!r} is undefined"
    path = getattr(exc.obj, "_path", None) or _path_of(exc.obj, data)
    if path is None:
        return str(exc)
    if isinstance(exc.name, str):
        return f"'{path}' has no attribute {exc.name!r}"
    return f"'{path}' has no element {exc.name!r}"


# How deep to look for the object an undefined lookup was made on; contexts are shallow.
_PATH_SEARCH_DEPTH = 8


def _path_of(target: Any, data: Mapping[str, Any]) -> str | None:
    """The dotted path of ``target`` in the context, found by identity; only on errors."""
    pending: list[tuple[str, Any, int]] = [(str(key), value, 0) for key, value in data.items()]
    while pending:
        path, value, depth = pending.pop()
        if value is target:
            return path
        if depth >= _PATH_SEARCH_DEPTH:
            continue
        if isinstance(value, Mapping):
            pending += [(f"{path}.{key}", item, depth + 1) for key, item in value.items()]
        elif isinstance(value, list):
            pending += [(f"{path}[{index}]", item, depth + 1) for index, item in enumerate(value)]
    return None
