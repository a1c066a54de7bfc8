"""Fix ``short-form-condition``: ``!Condition Name`` inside a condition function.

CloudFormation reads the short form ``!Condition IsProduction`` (as in ``!And [!Condition
IsProduction, !Equals [...]]``) as ``{Condition: IsProduction}``, a reference to another
condition. moto 5.2.5's ``yaml_tag_constructor`` prefixes every tag but ``!Ref`` with
``Fn::``, so it reads ``{"Fn::Condition": "IsProduction"}``, which its condition evaluator
does not know: the ``Fn::And``, ``Fn::Or`` or ``Fn::Not`` around it comes out wrong
without a word, and resources are created (or left out) against the template's intent.

The patch reads ``!Condition`` as CloudFormation does. moto binds the constructor by name
in three modules, so each binding is replaced, keeping the earlier patches in the chain.
"""

from __future__ import annotations

from typing import Any

from emulator.fixes import fix_enabled

NAME = "short-form-condition"


def install() -> None:
    from moto.cloudformation import models, responses, utils

    stock_constructor = utils.yaml_tag_constructor

    def yaml_tag_constructor(loader: Any, tag: str, node: Any) -> Any:
        if fix_enabled(NAME) and tag == "!Condition":
            [name] = stock_constructor(loader, tag, node).values()
            return {"Condition": name}
        return stock_constructor(loader, tag, node)

    for module in (utils, models, responses):
        setattr(module, "yaml_tag_constructor", yaml_tag_constructor)  # noqa: B010
