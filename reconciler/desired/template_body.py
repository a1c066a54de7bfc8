"""Read a rendered CloudFormation body (YAML with short-form tags, or JSON) into plain data.

The engine reads rendered bodies on its hot path (the data-retention rewrite reads every
body of a data template), so this uses libyaml's C parser with plain constructors. The
result is what cfn-lint's decoder gives, as plain dicts and lists: ``!Ref X`` becomes
``{"Ref": "X"}``, ``!Sub …`` becomes ``{"Fn::Sub": …}``, ``!GetAtt A.B`` becomes
``{"Fn::GetAtt": ["A", "B"]}``, values are typed as YAML 1.1 types them, duplicate keys
are refused, and aliases may not expand past a bound (a body is rendered from a template
a pull request may change).
"""

from __future__ import annotations

import json
from typing import Any

import yaml
from yaml.constructor import ConstructorError

# Tags that keep their name; every other short form is an ``Fn::`` function.
_UNPREFIXED = {"Ref", "Condition"}
# Values a body may hold once aliases are expanded (cfn-lint refuses past 250,000 too).
MAX_EXPANDED_VALUES = 250_000


class BodyError(ValueError):
    """The body does not parse; ``line`` is 1-based where the parser knows it."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


def load_body(body: str) -> Any:
    """The plain data of ``body``; raises ``BodyError`` when it is neither YAML nor JSON."""
    try:
        data = yaml.load(body, Loader=_BodyLoader)  # a CSafeLoader: plain data only
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        data = _json_or_raise(body, str(exc), mark.line + 1 if mark is not None else None)
    except yaml.YAMLError as exc:
        data = _json_or_raise(body, str(exc), None)
    if "&" in body:
        _check_expansion(data)
    return {} if data is None else data


def check_body(body: str) -> bool:
    """Raise ``BodyError`` where ``load_body`` would, without building the data.

    Returns whether the body is a mapping (or empty), as a template must be. Composing
    nodes in C and walking them costs a fraction of constructing the values, for checks
    that never use the data (``validate`` without lint).
    """
    try:
        nodes = list(yaml.compose_all(body, Loader=yaml.CBaseLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        data = _json_or_raise(body, str(exc), mark.line + 1 if mark is not None else None)
        return isinstance(data, dict)
    except yaml.YAMLError as exc:
        return isinstance(_json_or_raise(body, str(exc), None), dict)
    if len(nodes) > 1:
        raise BodyError("expected a single document in the stream", nodes[1].start_mark.line + 1)
    if not nodes:
        return True
    _NodeCheck().visit(nodes[0])
    return isinstance(nodes[0], yaml.MappingNode) or (
        isinstance(nodes[0], yaml.ScalarNode)
        and nodes[0].value in ("", "~", "null", "Null", "NULL")
    )


# Standard tags the safe loader constructs; any other "!!" tag is refused, as it refuses.
_STANDARD = {
    f"tag:yaml.org,2002:{name}"
    for name in (
        "str",
        "int",
        "float",
        "bool",
        "null",
        "map",
        "seq",
        "timestamp",
        "binary",
        "omap",
        "pairs",
        "set",
        "merge",
    )
}


class _NodeCheck:
    """Duplicate keys, unknown tags and alias expansion, on composed nodes."""

    def __init__(self) -> None:
        self.sizes: dict[int, int] = {}

    def visit(self, node: yaml.Node) -> int:
        known = self.sizes.get(id(node))
        if known is not None:
            return known
        tag = node.tag or ""
        if not tag.startswith("!") and tag not in _STANDARD:
            raise BodyError(
                f"could not determine a constructor for the tag {tag!r}", node.start_mark.line + 1
            )
        total = 1
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key, value in node.value:
                line = key.start_mark.line + 1
                if isinstance(key, yaml.ScalarNode) and key.value != "<<":
                    if key.value in seen:
                        raise BodyError(
                            f"duplicate key {key.value!r} (lines {seen[key.value]} and {line})",
                            line,
                        )
                    seen[key.value] = line
                total += self.visit(key) + self.visit(value)
                self._bound(total)
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                total += self.visit(item)
                self._bound(total)
        self.sizes[id(node)] = total
        return total

    @staticmethod
    def _bound(total: int) -> None:
        if total > MAX_EXPANDED_VALUES:
            raise BodyError(
                f"more than {MAX_EXPANDED_VALUES:,} values once YAML aliases are expanded; refused",
                None,
            )


def _json_or_raise(body: str, message: str, line: int | None) -> Any:
    # A JSON body YAML cannot read (tabs, for one) is still a valid template.
    try:
        return json.loads(body)
    except ValueError:
        raise BodyError(message, line) from None


class _BodyLoader(yaml.CSafeLoader):  # type: ignore[misc]
    """libyaml's parser, the safe constructors, and CloudFormation's short forms."""

    def construct_plain_map(self, node: yaml.MappingNode) -> dict[Any, Any]:
        self.flatten_mapping(node)
        seen: dict[Any, int] = {}
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if isinstance(key, (str, int, float, bool)) and key in seen:
                raise ConstructorError(
                    None,
                    None,
                    f"duplicate key {key!r} (lines {seen[key]} and {line})",
                    key_node.start_mark,
                )
            if isinstance(key, (str, int, float, bool)):
                seen[key] = line
        return self.construct_mapping(node, deep=True)  # type: ignore[no-any-return]


def _plain_map(loader: _BodyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    return loader.construct_plain_map(node)


def _short_form(loader: _BodyLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = suffix if suffix in _UNPREFIXED else f"Fn::{suffix}"
    if name == "Fn::GetAtt" and isinstance(node, yaml.ScalarNode):
        return {name: str(loader.construct_scalar(node)).split(".", 1)}
    if isinstance(node, yaml.ScalarNode):
        return {name: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {name: loader.construct_sequence(node, deep=True)}
    if isinstance(node, yaml.MappingNode):
        return {name: _plain_map(loader, node)}
    raise ConstructorError(None, None, f"unexpected node for !{suffix}", node.start_mark)


_BodyLoader.add_constructor("tag:yaml.org,2002:map", _plain_map)
_BodyLoader.add_multi_constructor("!", _short_form)


def _check_expansion(data: Any) -> None:
    """Refuse a body whose aliases expand past MAX_EXPANDED_VALUES (counted once per node)."""
    sizes: dict[int, int] = {}

    def size(value: Any) -> int:
        known = sizes.get(id(value))
        if known is not None:
            return known
        children = value.values() if isinstance(value, dict) else value
        total = 1
        if isinstance(value, (dict, list)):
            for child in children:
                total += size(child)
                if total > MAX_EXPANDED_VALUES:
                    raise BodyError(
                        f"more than {MAX_EXPANDED_VALUES:,} values once YAML aliases "
                        "are expanded; refused",
                        None,
                    )
        sizes[id(value)] = total
        return total

    size(data)
