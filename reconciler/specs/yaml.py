"""Safe YAML loading that remembers where every value was written.

Specs and bundle files come from pull requests, so they are untrusted: the size is capped
before parsing and the size after alias expansion while copying, and only plain data
comes out (no tags, no Python objects). Each document is plain dicts and lists plus a
``Lines`` index from dotted field paths to 1-based line numbers, so that every later
check can say exactly where a problem is without holding on to ruamel's types.

Data comes from ruamel's C parser (libyaml). Line numbers come from a second pass of the
same C parser that only composes nodes (no typing of values), run lazily the first time
a line is asked for; it is an order of magnitude cheaper than ruamel's round-trip parser,
which matters because every spec's origins ask for lines.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.cyaml import CParser  # type: ignore[attr-defined]
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode
from ruamel.yaml.resolver import BaseResolver, VersionedResolver

from reconciler.errors import Problem, SpecError


@dataclass(frozen=True)
class YamlLimits:
    """Caps on untrusted YAML, applied before any structure is built."""

    # Larger files are refused unread: no spec or schema needs a megabyte.
    max_bytes: int = 1024 * 1024
    # Aliases allowed per file; real specs use a few.
    max_aliases: int = 100
    # Values after aliases are expanded: a few aliases nested deep still explode
    # (3 per level, 20 levels is 3**20), so the expanded size is capped too.
    max_values: int = 200_000


DEFAULT_LIMITS = YamlLimits()


@dataclass(frozen=True)
class Lines:
    """Dotted field path → 1-based line, e.g. ``spec.instances[0].environment``."""

    by_path: Mapping[str, int]

    def of(self, path: str) -> int | None:
        """The line of ``path``, or of its nearest written parent."""
        while True:
            if path in self.by_path:
                return self.by_path[path]
            if not path:
                return None
            path = _parent(path)


@dataclass(frozen=True)
class Document:
    """One YAML document of a file: plain data and where each field was written."""

    file: str
    data: Any
    index: int = 0  # position in a multi-document file
    text: str = field(default="", repr=False, compare=False)
    limits: YamlLimits = field(default=DEFAULT_LIMITS, repr=False, compare=False)

    @cached_property
    def lines(self) -> Lines:
        return _lines_of(self.text, self.index, self.limits)

    def line(self, path: str) -> int | None:
        return self.lines.of(path)

    def problem(self, path: str, message: str, severity: str = "error") -> Problem:
        return Problem(self.file, self.line(path), path, message, severity)


def _parent(path: str) -> str:
    cut = max(path.rfind("."), path.rfind("["))
    return path[:cut] if cut > 0 else ""


def load_documents(
    text: str | bytes, file: str, limits: YamlLimits = DEFAULT_LIMITS
) -> list[Document]:
    """Parse every document of ``text``; raise ``SpecError`` naming the file and line."""
    size = len(text)
    if size > limits.max_bytes:
        raise SpecError(
            [Problem(file, None, "", f"file is {size:,} bytes; at most {limits.max_bytes:,}")]
        )
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SpecError([Problem(file, None, "", f"not UTF-8 text: {exc.reason}")]) from exc
    documents: list[Document] = []
    with _translated_errors(file):
        loader = _VERSIONED if "%YAML" in text else _FAST
        for index, node in enumerate(loader.load_all(text)):
            if node is None:
                continue
            try:
                data = _Copier(limits.max_values).plain(node)
            except _DuplicateKey as exc:
                exc.line = _line_of_duplicate(text, index, exc.key)
                raise
            documents.append(Document(file, data, index, text, limits))
    return documents


@contextmanager
def _translated_errors(file: str) -> Iterator[None]:
    try:
        yield
    except (_TooManyAliases, _TooManyValues, _DuplicateKey) as exc:
        raise SpecError([Problem(file, exc.line, "", str(exc))]) from exc
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = " ".join(part for part in (exc.context, exc.problem) if part)
        raise SpecError([Problem(file, line, "", f"invalid YAML: {what}")]) from exc
    except YAMLError as exc:
        raise SpecError([Problem(file, None, "", f"invalid YAML: {exc}")]) from exc
    except RecursionError as exc:
        raise SpecError([Problem(file, None, "", "invalid YAML: nested too deeply")]) from exc


def _lines_of(text: str, index: int, limits: YamlLimits) -> Lines:
    positions: dict[str, int] = {}
    try:
        parser = _LineParser(text)
        node = None
        for _ in range(index + 1):
            node = parser.get_node() if parser.check_node() else None
        if node is not None:
            _LineWalk(positions, limits).record(node, "")
    except (YAMLError, RecursionError):
        return Lines({})
    return Lines(positions)


class _LineParser(CParser, BaseResolver):  # type: ignore[misc]
    """libyaml's composer with no implicit typing: lines need structure, not values."""

    def __init__(self, text: str) -> None:
        CParser.__init__(self, text)
        BaseResolver.__init__(self)


class _TooManyAliases(YAMLError):
    def __init__(self, limit: int, line: int) -> None:
        self.line = line
        super().__init__(f"more than {limit} YAML aliases; refused as a possible alias bomb")


class _TooManyValues(YAMLError):
    def __init__(self, limit: int) -> None:
        self.line = None
        super().__init__(f"more than {limit:,} values once aliases are expanded; refused")


class _DuplicateKey(YAMLError):
    """Two keys of one mapping that differ in YAML (``1`` and ``"1"``) but not as text.

    Spec keys are text, so both would become one key and the later would silently win;
    ruamel refuses keys that are equal as YAML values, this refuses the rest.
    """

    def __init__(self, key: str) -> None:
        self.key = key
        self.line: int | None = None
        super().__init__(
            f"duplicate key {key!r}: written twice in one mapping (once quoted, once not, "
            "or in another form of the same text); keep one"
        )


def _line_of_duplicate(text: str, index: int, key: str) -> int | None:
    """The line of the second ``key`` in one mapping of document ``index``; only on errors."""
    try:
        parser = _LineParser(text)
        node = None
        for _ in range(index + 1):
            node = parser.get_node() if parser.check_node() else None
    except (YAMLError, RecursionError):
        return None
    pending = [node] if node is not None else []
    while pending:
        item = pending.pop()
        if isinstance(item, MappingNode):
            seen: set[str] = set()
            for name, value in item.value:
                if name.value == key and key in seen:
                    return int(name.start_mark.line) + 1
                seen.add(str(name.value))
                pending.append(value)
        elif isinstance(item, SequenceNode):
            pending.extend(item.value)
    return None


class _RememberingResolver(VersionedResolver):
    """ruamel's YAML 1.2 typing of plain scalars, remembered by text.

    Typing a plain scalar tries a list of patterns; it depends on nothing but the text
    and the YAML version, and spec files repeat the same keys and values thousands of
    times, so each text is typed once per process. Only for documents without a
    ``%YAML`` directive (the default version): ``load_documents`` sends the others to
    the plain resolver.
    """

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is not ScalarNode or not implicit[0] or self.yaml_path_resolvers:
            return super().resolve(kind, value, implicit)
        tag = _TYPED.get(value)
        if tag is None:
            tag = super().resolve(kind, value, implicit)
            if len(_TYPED) >= _MAX_TYPED:
                _TYPED.clear()
            _TYPED[value] = tag
        return tag


_TYPED: dict[str, Any] = {}
# Distinct plain scalars remembered; past it the memory starts over.
_MAX_TYPED = 100_000

_FAST = YAML(typ="safe")
_FAST.Resolver = _RememberingResolver
_FAST.allow_duplicate_keys = False
# Documents that name their YAML version are typed by that version, afresh each time.
_VERSIONED = YAML(typ="safe")
_VERSIONED.allow_duplicate_keys = False


class _Copier:
    """Copies parsed YAML into plain data, counting values as aliases expand."""

    def __init__(self, max_values: int) -> None:
        self.left = max_values
        self.max_values = max_values

    def plain(self, node: Any) -> Any:
        self.left -= 1
        if self.left < 0:
            raise _TooManyValues(self.max_values)
        if isinstance(node, dict):
            out = {str(key): self.plain(value) for key, value in node.items()}
            if len(out) != len(node):
                raise _DuplicateKey(_repeated(str(key) for key in node))
            return out
        if isinstance(node, list):
            return [self.plain(value) for value in node]
        if isinstance(node, bool) or node is None:
            return node
        if isinstance(node, int):
            return int(node)
        if isinstance(node, float):
            return float(node)
        # Strings, timestamps and other resolved scalars travel as their text.
        return str(node)


def _repeated(keys: Iterator[str]) -> str:
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            return key
        seen.add(key)
    return ""


class _LineWalk:
    """Records the line of every key and item; refuses too many aliases.

    An alias is the very node of its anchor, so it is recorded again under its own path,
    as a reader expects; the alias limit and the value budget bound that walk.
    """

    def __init__(self, positions: dict[str, int], limits: YamlLimits) -> None:
        self.positions = positions
        self.limits = limits
        self.left = limits.max_values
        self.aliases = 0
        self.seen: set[int] = set()

    def record(self, node: Any, path: str) -> None:
        if id(node) in self.seen:
            self.aliases += 1
            if self.aliases > self.limits.max_aliases:
                raise _TooManyAliases(self.limits.max_aliases, node.start_mark.line + 1)
        self.seen.add(id(node))
        if isinstance(node, MappingNode):
            for key, value in node.value:
                child = f"{path}.{key.value}" if path else str(key.value)
                if child not in self.positions:  # a duplicate key: refused by the loader
                    self._mark(child, key)
                    self.record(value, child)
        elif isinstance(node, SequenceNode):
            for i, value in enumerate(node.value):
                child = f"{path}[{i}]"
                self._mark(child, value)
                self.record(value, child)

    def _mark(self, path: str, node: Any) -> None:
        self.left -= 1
        if self.left < 0:
            raise _TooManyValues(self.limits.max_values)
        self.positions[path] = node.start_mark.line + 1


def walk_paths(data: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every (dotted path, value) of plain data, depth first."""
    yield path, data
    if isinstance(data, dict):
        for key, value in data.items():
            yield from walk_paths(value, f"{path}.{key}" if path else key)
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from walk_paths(value, f"{path}[{i}]")
