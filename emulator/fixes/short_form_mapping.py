"""Fix ``short-form-mapping``: a short-form function whose argument is a YAML mapping.

moto 5.2.5's ``yaml_tag_constructor`` returns ``node.value`` for any argument that is not
a sequence, which for a mapping is a list of ``(key node, value node)`` pairs, not a
dict. ``!GetAZs {Ref: 'AWS::Region'}`` (the only way to pass a ``Ref`` to a short-form
``!GetAZs``, since YAML allows one tag per node) then fails the stack with a ``KeyError``
naming YAML nodes; ``!Base64 {"Fn::Sub": ...}`` fails with "'list' object has no attribute
'encode'" and ``!ImportValue {"Fn::Sub": ...}`` fails too. The long forms work.

The patch constructs the mapping, deeply, as every other YAML value. moto binds the
constructor by name in three modules, so each binding is replaced; the ``getatt-list-form``
patch, installed before this one, stays in the chain.
"""

from __future__ import annotations

from typing import Any

import yaml

from emulator.fixes import fix_enabled

NAME = "short-form-mapping"


def install() -> None:
    from moto.cloudformation import models, responses, utils

    stock_constructor = utils.yaml_tag_constructor

    def yaml_tag_constructor(loader: Any, tag: str, node: Any) -> Any:
        if fix_enabled(NAME) and isinstance(node, yaml.MappingNode):
            key = "Ref" if tag == "!Ref" else f"Fn::{tag[1:]}"
            return {key: loader.construct_mapping(node, deep=True)}
        return stock_constructor(loader, tag, node)

    for module in (utils, models, responses):
        setattr(module, "yaml_tag_constructor", yaml_tag_constructor)  # noqa: B010
