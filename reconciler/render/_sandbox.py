"""The Jinja sandbox that untrusted templates render in, with limits that hold inside loops.

``SandboxedEnvironment`` stops attribute escapes (``''.__class__.__mro__``), but on its own it
does not stop a template from spinning in an empty loop, or from building a gigabyte string
before anything is yielded. Checking size and time between output chunks catches neither.
So the environment here adds guards at the few points every such template has to pass:

* every ``{% for %}`` iterable is wrapped (by rewriting the parsed template) so that each
  iteration checks the deadline, even when the loop body writes nothing;
* every call (macros, methods, recursive loops) checks the deadline;
* every string the template builds (``~``, captured ``{% set %}`` blocks, macro output,
  ``*``, ``+``, ``%``, ``join``, ``replace``, ``center`` …) is checked against the output size
  limit, before the allocation where the result size can be foreseen, after it otherwise.

The limits of the render in progress travel in a context variable, so one compiled template
can be rendered concurrently under different limits, and templates cannot reach them.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from functools import partial
from typing import Any

from jinja2 import FunctionLoader, StrictUndefined, nodes
from jinja2.exceptions import TemplateRuntimeError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Namespace, missing

# Names no template can spell (they contain a space), for the hooks the rewrite inserts.
BOUNDED_ITERATION = "goldenpath bounded-iteration"
BOUNDED_JOIN = "goldenpath bounded-join"

# Bigger than any port, count or size a CloudFormation template computes, yet small enough
# that ``9 ** 9 ** 9`` is refused before Python spends minutes building it.
LARGEST_INTEGER_BITS = 4096

# str methods whose integer arguments set the length of the result.
_WIDTH_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?[a-zA-Z%]")


class LimitExceeded(Exception):
    """A render went over its time or size budget; the renderer turns it into a RenderError."""


@dataclass
class Budget:
    """The limits of one render in progress."""

    deadline: float  # clock value after which the render is aborted
    clock: Callable[[], float]
    max_chars: int  # no string or list the template builds may be longer than this
    # Total characters that widening operations (repetition, padding, indent, replace,
    # format widths) may create in one render: each one alone is bounded by max_chars, but
    # a map or a loop could repeat them.
    max_widened: int
    max_seconds: float  # for the message only
    widened: int = 0  # characters created by widening operations so far

    def tick(self) -> None:
        if self.clock() > self.deadline:
            raise LimitExceeded(f"render took longer than {self.max_seconds:g} s")

    def check_size(self, size: int, what: str) -> None:
        if size > self.max_chars:
            raise LimitExceeded(
                f"{what} would be {size:,} characters, over the limit of {self.max_chars:,}"
            )

    def widen(self, size: int, what: str) -> None:
        self.check_size(size, what)
        self.widened += size
        if self.widened > self.max_widened:
            raise LimitExceeded(
                f"{what} would take the strings widened by this render to "
                f"{self.widened:,} characters, over the limit of {self.max_widened:,}"
            )

    def check_result(self, value: Any, what: str) -> Any:
        if isinstance(value, str | list | tuple):
            self.check_size(len(value), what)
        return value

    def check_width(self, width: Any, what: str) -> None:
        if isinstance(width, int) and not isinstance(width, bool):
            self.widen(width, what)


CURRENT_BUDGET: ContextVar[Budget] = ContextVar("goldenpath_render_budget")


def _budget() -> Budget:
    return CURRENT_BUDGET.get()


class MissingValue(UndefinedError):
    """An undefined value was used; carries what was looked up, so the renderer can name it."""

    def __init__(self, message: str, *, obj: Any, name: Any) -> None:
        super().__init__(message)
        self.obj = obj
        self.name = name


class ProtonUndefined(StrictUndefined):
    """StrictUndefined whose error keeps the object and the name that were looked up.

    Every failing operation of ``Undefined`` raises ``self._undefined_exception(message)``,
    so swapping that one factory covers them all. Sandbox refusals keep their SecurityError.
    """

    __slots__ = ()

    def __init__(
        self,
        hint: str | None = None,
        obj: Any = missing,
        name: str | None = None,
        exc: type[TemplateRuntimeError] = UndefinedError,
    ) -> None:
        super().__init__(hint, obj, name, exc)
        if exc is UndefinedError:
            self._undefined_exception = partial(MissingValue, obj=obj, name=name)  # type: ignore[assignment]


class BoundedNamespace(Namespace):
    """``namespace()`` whose attributes cannot grow past the size limit across loop turns."""

    def __setitem__(self, name: str, value: Any) -> None:
        _budget().check_result(value, f"namespace attribute '{name}'")
        super().__setitem__(name, value)


def _bounded_iteration(iterable: Iterable[Any]) -> Iterator[Any]:
    budget = _budget()
    for item in iterable:
        budget.tick()
        yield item


def _bounded_join(parts: Iterable[Any]) -> str:
    strings = [str(part) for part in parts]
    budget = _budget()
    budget.check_size(sum(map(len, strings)), "a concatenated string")
    return "".join(strings)


def _bounded_concat(parts: Iterable[str]) -> str:
    """Joins captured output ({% set %} blocks, macros, recursive loops)."""
    strings = parts if isinstance(parts, list) else list(parts)
    budget = _budget()
    budget.tick()
    budget.check_size(sum(map(len, strings)), "captured template output")
    return "".join(strings)


def _percent_widths_ok(fmt: str, args: Any) -> None:
    budget = _budget()
    star_used = False
    for width, precision in _PERCENT_SPEC.findall(fmt):
        for number in (width, precision):
            if number == "*":
                star_used = True
            elif number:
                budget.widen(int(number), "a %-format field")
    if star_used:
        for arg in args if isinstance(args, tuple) else (args,):
            budget.check_width(arg, "a %-format field")


def _format_widths_ok(fmt: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    budget = _budget()
    try:
        fields = list(string.Formatter().parse(fmt))
    except ValueError:
        return  # str.format will raise the same error itself
    for _literal, _name, spec, _conversion in fields:
        for number in re.findall(r"\d+", spec or ""):
            budget.widen(int(number), "a format field")
        if spec and "{" in spec:
            for arg in (*args, *kwargs.values()):
                budget.check_width(arg, "a format field")


def _projected_join(separator: Any, items: list[Any]) -> None:
    if isinstance(separator, str) and all(isinstance(item, str) for item in items):
        size = sum(map(len, items)) + len(separator) * max(len(items) - 1, 0)
        _budget().check_size(size, "a joined string")


def _projected_replace(value: str, old: Any, new: Any, count: Any = -1) -> None:
    if isinstance(old, str) and isinstance(new, str):
        hits = value.count(old) if old else len(value) + 1
        if isinstance(count, int) and count >= 0:
            hits = min(hits, count)
        growth = hits * (len(new) - len(old))
        if growth > 0:
            _budget().widen(len(value) + growth, "a replaced string")


def _guard_str_method(
    name: str, value: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Any, ...]:
    budget = _budget()
    if name in _WIDTH_METHODS:
        for arg in (*args, *kwargs.values()):
            budget.check_width(arg, f"str.{name}()")
    elif name == "join" and args:
        items = list(args[0])
        _projected_join(value, items)
        return (items, *args[1:])
    elif name == "replace" and len(args) >= 2:
        _projected_replace(value, *args[:3])
    elif name in {"format", "format_map"}:
        _format_widths_ok(value, args, kwargs)
    return args


class ProtonSandbox(ImmutableSandboxedEnvironment):
    """The sandbox with Goldenpath's guards; filters and finalize are set by the renderer."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self, **options: Any) -> None:
        # Proton renders each file on its own: include, import and extend find nothing.
        super().__init__(
            undefined=ProtonUndefined, loader=FunctionLoader(lambda _name: None), **options
        )
        self.concat = _bounded_concat  # type: ignore[method-assign]
        self.filters[BOUNDED_ITERATION] = _bounded_iteration
        self.filters[BOUNDED_JOIN] = _bounded_join
        self.globals["namespace"] = BoundedNamespace
        # lipsum writes as much text as it is asked for; Proton templates have no use for it.
        self.globals.pop("lipsum", None)
        for name in ("center", "indent", "join", "replace", "format", "wordwrap"):
            self.filters[name] = _guarded_filter(name, self.filters[name])

    def parse_guarded(self, source: str, path: str) -> nodes.Template:
        """Parses ``source`` and inserts the loop and concatenation guards."""
        tree = self.parse(source, name=path, filename=path)
        for loop in tree.find_all(nodes.For):
            loop.iter = nodes.Filter(
                loop.iter, BOUNDED_ITERATION, [], [], None, None, lineno=loop.iter.lineno
            )
        for parent in list(tree.find_all(nodes.Node)):
            for field in parent.fields:
                child = getattr(parent, field)
                if isinstance(child, nodes.Concat):
                    setattr(parent, field, _guarded_concat(child))
                elif isinstance(child, list):
                    child[:] = [
                        _guarded_concat(c) if isinstance(c, nodes.Concat) else c for c in child
                    ]
        return tree

    def call_binop(self, context: Any, operator_name: str, left: Any, right: Any) -> Any:
        budget = _budget()
        if operator_name == "*":
            _check_repeat(budget, left, right)
        elif operator_name == "**":
            _check_power(left, right)
        elif operator_name == "%" and isinstance(left, str):
            _percent_widths_ok(left, right)
        elif (
            operator_name == "+"
            and isinstance(left, str | list | tuple)
            and isinstance(right, str | list | tuple)
        ):
            budget.check_size(len(left) + len(right), "a concatenation")
        result = super().call_binop(context, operator_name, left, right)
        return budget.check_result(result, f"the result of '{operator_name}'")

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        budget = _budget()
        budget.tick()
        # The sandbox hands str.format out wrapped; the wrapper keeps the method in __wrapped__.
        method = getattr(__obj, "__wrapped__", __obj)
        owner = getattr(method, "__self__", None)
        if isinstance(owner, str):
            args = _guard_str_method(getattr(method, "__name__", ""), owner, args, kwargs)
        result = super().call(__context, __obj, *args, **kwargs)
        return budget.check_result(result, "the result of a call")


def _guarded_concat(node: nodes.Concat) -> nodes.Expr:
    # The List shares the Concat's item list, so a Concat nested inside (visited later by
    # parse_guarded) is replaced in this list too.
    items = nodes.List(node.nodes, lineno=node.lineno)
    return nodes.Filter(items, BOUNDED_JOIN, [], [], None, None, lineno=node.lineno)


def _check_repeat(budget: Budget, left: Any, right: Any) -> None:
    sequence, times = (left, right) if isinstance(right, int) else (right, left)
    if isinstance(sequence, str | list | tuple) and isinstance(times, int):
        budget.widen(len(sequence) * times, "a repeated sequence")
    elif (
        isinstance(left, int)
        and isinstance(right, int)
        and abs(left).bit_length() + abs(right).bit_length() > LARGEST_INTEGER_BITS
    ):
        raise LimitExceeded(f"an integer over {LARGEST_INTEGER_BITS} bits")


def _check_power(base: Any, exponent: Any) -> None:
    if (
        isinstance(base, int)
        and isinstance(exponent, int)
        and abs(base) > 1
        and exponent > 0
        and abs(base).bit_length() * exponent > LARGEST_INTEGER_BITS
    ):
        raise LimitExceeded(f"an integer over {LARGEST_INTEGER_BITS} bits")


def _guarded_filter(name: str, builtin: Callable[..., Any]) -> Callable[..., Any]:
    """Wraps a Jinja built-in filter whose arguments can make its result huge."""
    pass_arg = getattr(builtin, "jinja_pass_arg", None)
    at = 0 if pass_arg is None else 1  # the filtered value comes after a passed context

    def option(
        args: tuple[Any, ...], kwargs: dict[str, Any], index: int, key: str, default: Any
    ) -> Any:
        return args[at + index] if len(args) > at + index else kwargs.get(key, default)

    def guarded(*args: Any, **kwargs: Any) -> Any:
        budget = _budget()
        value = args[at]
        if name in {"center", "wordwrap"}:
            for setting in (*args[at + 1 :], *kwargs.values()):
                budget.check_width(setting, f"the '{name}' filter")
        elif name == "indent" and isinstance(value, str):
            width = option(args, kwargs, 1, "width", 4)
            per_line = len(width) if isinstance(width, str) else width
            if isinstance(per_line, int):
                lines = value.count("\n") + 1
                budget.widen(len(value) + lines * per_line, "the 'indent' filter")
        elif name == "join" and isinstance(value, Iterable) and not isinstance(value, str):
            items = list(value)
            _projected_join(option(args, kwargs, 1, "d", ""), [str(item) for item in items])
            args = (*args[:at], items, *args[at + 1 :])
        elif name == "replace" and isinstance(value, str) and len(args) > at + 2:
            _projected_replace(value, *args[at + 1 : at + 4])
        elif name == "format" and isinstance(value, str):
            _percent_widths_ok(value, args[at + 1 :] or kwargs)
        return budget.check_result(builtin(*args, **kwargs), f"the '{name}' filter")

    if pass_arg is not None:
        guarded.jinja_pass_arg = pass_arg  # type: ignore[attr-defined]
    return guarded


__all__ = [
    "CURRENT_BUDGET",
    "Budget",
    "LimitExceeded",
    "MissingValue",
    "ProtonSandbox",
]
