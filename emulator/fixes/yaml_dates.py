"""Fix ``yaml-dates``: unquoted dates in YAML templates.

moto 5.2.5 parses YAML templates with PyYAML's YAML 1.1 loader, which turns a plain
``Version: 2012-10-17`` (how most IAM policy documents are written) into a Python ``date``.
Creating the policy then fails with "Object of type date is not JSON serializable".
CloudFormation keeps such values as strings.

The patch makes moto parse templates with ``emulator.template_yaml.CloudFormationLoader``,
which has no implicit timestamps (and is safe, unlike the loader moto uses).
"""

from __future__ import annotations

from typing import Any

from emulator.fixes import fix_enabled

NAME = "yaml-dates"


def install() -> None:
    from moto.cloudformation.models import ChangeSet, Stack

    from emulator.template_yaml import load_template

    stock_parse = Stack.parse_template
    stock_change_set_parse = ChangeSet._parse_template

    def parse_template(template: str) -> Any:
        if not fix_enabled(NAME):
            return stock_parse(template)
        return load_template(template)

    def _parse_template(self: Any) -> None:
        if not fix_enabled(NAME):
            stock_change_set_parse(self)
            return
        self.template_dict = load_template(self.template)

    setattr(Stack, "parse_template", staticmethod(parse_template))  # noqa: B010
    setattr(ChangeSet, "_parse_template", _parse_template)  # noqa: B010
