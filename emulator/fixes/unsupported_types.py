"""Fix ``unsupported-types``: resource types moto has no CloudFormation model for.

moto 5.2.5's ``resource_class_from_type`` returns ``None`` for a type it does not model,
and the engine then skips the resource without a word: no physical id, ``Ref`` resolves to
nothing (the property that used it silently disappears) and ``Fn::GetAtt`` fails the
stack with "references undefined resource" (or an HTTP 500 when an output asks for it).
The Proton corpus hits this with CodeBuild, CodePipeline, CloudWatch alarms, Cloud Map,
App Runner, Application Auto Scaling and SAM functions.

The patch answers catalogued types with a simulated model (``emulator.simulated``), and
``unrecognized_types`` lets the stack lifecycle refuse every other unknown type up front,
the way CloudFormation refuses a template with a type it does not know.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from emulator.fixes import fix_enabled

NAME = "unsupported-types"


def _moto_models_type(resource_type: str) -> bool:
    from moto.cloudformation import parsing

    return (
        resource_type in parsing.get_model_map()
        or resource_type in parsing.NULL_MODELS
        or resource_type.startswith("Custom::")
    )


def unrecognized_types(resource_types: Iterable[str]) -> list[str]:
    """The types a template uses that are neither emulated by moto nor simulated.

    Empty while the fix is switched off, so that stock moto's silent drop shows.
    """
    if not fix_enabled(NAME):
        return []
    from emulator.simulated.catalog import CATALOG

    unknown = {
        resource_type
        for resource_type in resource_types
        if not _moto_models_type(resource_type) and resource_type not in CATALOG
    }
    return sorted(unknown)


def install() -> None:
    from moto.cloudformation import parsing

    from emulator.simulated.model import simulated_model

    stock_class_from_type = parsing.resource_class_from_type

    def resource_class_from_type(resource_type: str) -> Any:
        if fix_enabled(NAME) and not _moto_models_type(resource_type):
            model = simulated_model(resource_type)
            if model is not None:
                return model
        return stock_class_from_type(resource_type)

    parsing.resource_class_from_type = resource_class_from_type
