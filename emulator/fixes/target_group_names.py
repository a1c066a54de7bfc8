"""Fix ``target-group-double-dash``: target-group names containing ``--``.

moto 5.2.5's ``ELBv2Backend.create_target_group`` applies an "undocumented validation"
that refuses any name with two dashes in a row. AWS accepts such names, and the Proton
tutorial's service template builds one (``'{{service.name}}--{{service_instance.name}}'``),
so every service instance fails on it.

The patch lets moto create the group under a stand-in name of the same length without the
double dash, then gives the group its real name and ARN (and moves its tags along).
"""

from __future__ import annotations

from typing import Any

from emulator.fixes import fix_enabled

NAME = "target-group-double-dash"


def stand_in_name(name: str) -> str:
    """The same name with every dash that follows a dash turned into a digit."""
    letters = list(name)
    for index in range(1, len(letters)):
        if letters[index] == "-" and letters[index - 1] == "-":
            letters[index] = "0"
    return "".join(letters)


def install() -> None:
    from moto.elbv2.models import ELBv2Backend

    stock_create = ELBv2Backend.create_target_group

    def create_target_group(self: Any, name: str, **kwargs: Any) -> Any:
        if not fix_enabled(NAME) or "--" not in name:
            return stock_create(self, name, **kwargs)
        tags = kwargs.pop("tags", None)
        stand_in = stand_in_name(name)
        target_group = stock_create(self, stand_in, **kwargs)
        del self.target_groups[target_group.arn]
        target_group.name = name
        target_group.arn = target_group.arn.replace(
            f":targetgroup/{stand_in}/", f":targetgroup/{name}/"
        )
        self.target_groups[target_group.arn] = target_group
        if tags:
            self.add_tags(resource_arns=[target_group.arn], tags=tags)
        return target_group

    setattr(ELBv2Backend, "create_target_group", create_target_group)  # noqa: B010
