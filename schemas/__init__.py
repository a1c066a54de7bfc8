"""JSON Schemas of the spec kinds: Environment, Service, Teams and Platform.

The schemas are data, shipped in the package so that ``validate`` works from an
installed wheel; ``load(kind)`` returns one, ``registry()`` resolves their ``$ref``s.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

KINDS = {
    "Environment": "environment",
    "Service": "service",
    "Teams": "teams",
    "Platform": "platform",
}


@cache
def load(name: str) -> dict[str, Any]:
    """The schema called ``name`` (``service``, ``common`` …)."""
    text = resources.files(__name__).joinpath(f"{name}.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def for_kind(kind: str) -> dict[str, Any]:
    return load(KINDS[kind])
