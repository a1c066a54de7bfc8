"""Which ``service.*`` fields a template reads, found in its syntax tree without rendering.

A service may leave its repository or its connection unset; a template that reads such a
field fails only when rendered, at its own line, with a message about the template. The
build asks this instead, before rendering, so that it can point at the service spec and
say which field to set. Reads that the template guards (``is defined``, ``default``) do
not count: such a template copes with the field's absence.
"""

from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, TemplateSyntaxError, nodes

from reconciler.templates.model import TemplateFile

# Parses only: nothing is compiled or run, so the sandbox is not needed here.
_PARSER = Environment()
# Templates parsed per process, kept by source; a repo has a few dozen.
_MAX_PARSED = 256
_GUARD_TESTS = frozenset({"defined", "undefined"})
_GUARD_FILTERS = frozenset({"default", "d"})


def service_fields_read(file: TemplateFile) -> frozenset[str]:
    """Names ``f`` of ``service.f`` (or ``service['f']``) that ``file`` reads unguarded.

    A template that does not parse reads nothing here: rendering reports its syntax.
    """
    return _fields_read(file.source)


@lru_cache(maxsize=_MAX_PARSED)
def _fields_read(source: str) -> frozenset[str]:
    try:
        tree = _PARSER.parse(source)
    except TemplateSyntaxError:
        return frozenset()
    read: set[str] = set()
    guarded: set[str] = set()
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        name = _service_field(node)
        if name is not None:
            read.add(name)
    for guard in tree.find_all((nodes.Test, nodes.Filter)):
        names = _GUARD_TESTS if isinstance(guard, nodes.Test) else _GUARD_FILTERS
        name = _service_field(guard.node) if guard.name in names else None
        if name is not None:
            guarded.add(name)
    return frozenset(read - guarded)


def _service_field(node: nodes.Node | None) -> str | None:
    if isinstance(node, nodes.Getattr):
        field, owner = node.attr, node.node
    elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        field, owner = node.arg.value, node.node
    else:
        return None
    if isinstance(owner, nodes.Name) and owner.name == "service" and isinstance(field, str):
        return field
    return None
