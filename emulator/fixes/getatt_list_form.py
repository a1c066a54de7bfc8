"""Fix ``getatt-list-form``: ``!GetAtt [Resource, Attribute]`` in YAML templates.

moto 5.2.5's ``yaml_tag_constructor`` returns ``node.value`` for a ``!GetAtt`` written as a
YAML sequence, which is a list of YAML *nodes*, not of strings. The resource lookup then
fails with "instance of Fn::GetAtt references undefined resource ScalarNode(...)". The
short form with a list is common (the corpus's ECS-on-EC2 environment uses it for its NAT
gateways' ``AllocationId``).

The patch constructs the sequence's values. moto binds the constructor by name in three
modules, so each binding is replaced.
"""

from __future__ import annotations

from typing import Any

import yaml

from emulator.fixes import fix_enabled

NAME = "getatt-list-form"


def install() -> None:
    from moto.cloudformation import models, responses, utils

    stock_constructor = utils.yaml_tag_constructor

    def yaml_tag_constructor(loader: Any, tag: str, node: Any) -> Any:
        if fix_enabled(NAME) and tag == "!GetAtt" and isinstance(node, yaml.SequenceNode):
            return {"Fn::GetAtt": loader.construct_sequence(node, deep=True)}
        return stock_constructor(loader, tag, node)

    for module in (utils, models, responses):
        setattr(module, "yaml_tag_constructor", yaml_tag_constructor)  # noqa: B010
