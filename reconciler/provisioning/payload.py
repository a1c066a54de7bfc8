"""A Terraform notification's body, read as Proton's ``NotifyResourceDeploymentStatusChange``.

    {"status": "SUCCEEDED", "statusMessage": "applied",
     "outputs": [{"key": "vpc_id", "valueString": "vpc-0abc"}]}

``status`` is IN_PROGRESS, SUCCEEDED or FAILED; ``statusMessage`` and ``outputs`` are
optional. ``outputs`` has Proton's shape, the one the sample workflow builds with
``jq 'to_entries|map({key: .key, valueString: .value.value})'`` from ``terraform output
-json``. Proton took only strings: a Terraform output that is a number, a list or a map
must be turned into one (``tostring``, or ``jsonencode`` in Terraform). Every refusal
names the field and what was expected.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from reconciler.errors import ActionInputInvalid

NotifiedStatus = Literal["IN_PROGRESS", "SUCCEEDED", "FAILED"]
STATUSES: tuple[str, ...] = ("IN_PROGRESS", "SUCCEEDED", "FAILED")
FIELDS = ("status", "statusMessage", "outputs")
MAX_OUTPUTS = 200  # CloudFormation's limit, and Proton's
MAX_KEY = 1024
MAX_VALUE = 1024 * 16
MAX_MESSAGE = 4096


@dataclass(frozen=True)
class Notification:
    """What a workflow reported about one deployment."""

    status: NotifiedStatus
    message: str = ""
    outputs: Mapping[str, str] = field(default_factory=dict)


def parse_notification(body: bytes) -> Notification:
    """The notification in ``body``; ``ActionInputInvalid`` naming the first bad field."""
    try:
        document = json.loads(body)
    except json.JSONDecodeError as exc:
        raise ActionInputInvalid(
            f"the body is not JSON (line {exc.lineno} column {exc.colno}); expected an object "
            'such as {"status": "SUCCEEDED", "outputs": [{"key": …, "valueString": …}]}'
        ) from exc
    except UnicodeDecodeError as exc:
        raise ActionInputInvalid("the body is not UTF-8 text; expected a JSON object") from exc
    if not isinstance(document, dict):
        raise ActionInputInvalid(f"the body is a JSON {_kind(document)}; expected an object")
    unknown = sorted(set(document) - set(FIELDS))
    if unknown:
        raise ActionInputInvalid(f"unknown field {unknown[0]!r}; expected {', '.join(FIELDS)}")
    status = document.get("status")
    if status not in STATUSES:
        raise ActionInputInvalid(f"status: expected one of {', '.join(STATUSES)}, got {status!r}")
    message = document.get("statusMessage", "")
    if not isinstance(message, str) or len(message) > MAX_MESSAGE:
        raise ActionInputInvalid(
            f"statusMessage: expected a string of at most {MAX_MESSAGE} characters"
        )
    outputs = parse_outputs(document.get("outputs", []))
    return Notification(cast(NotifiedStatus, status), message, outputs)


def parse_outputs(value: Any) -> dict[str, str]:
    """Proton's output list as a mapping; ``ActionInputInvalid`` names a bad entry."""
    if isinstance(value, str):
        # The AWS CLI took the list as one JSON string (``--outputs "$formatted_outputs"``).
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ActionInputInvalid(f"outputs: a string that is not a JSON list ({exc})") from exc
    if not isinstance(value, list):
        raise ActionInputInvalid(
            f'outputs: expected a list of {{"key": …, "valueString": …}}, got a {_kind(value)}'
        )
    if len(value) > MAX_OUTPUTS:
        raise ActionInputInvalid(f"outputs: {len(value)} entries; at most {MAX_OUTPUTS}")
    found: dict[str, str] = {}
    for index, entry in enumerate(value):
        where = f"outputs[{index}]"
        if not isinstance(entry, dict) or set(entry) != {"key", "valueString"}:
            raise ActionInputInvalid(
                f'{where}: expected an object with exactly "key" and "valueString", got '
                f"{json.dumps(entry)[:80]}"
            )
        key, text = entry["key"], entry["valueString"]
        if not isinstance(key, str) or not 0 < len(key) <= MAX_KEY:
            raise ActionInputInvalid(f"{where}.key: expected a non-empty string")
        if not isinstance(text, str):
            raise ActionInputInvalid(
                f"{where}.valueString ({key}): expected a string, got a {_kind(text)}; turn "
                "Terraform outputs that are numbers, lists or maps into strings (jq "
                "'tostring', or jsonencode() in the output)"
            )
        if len(text) > MAX_VALUE:
            raise ActionInputInvalid(f"{where}.valueString ({key}): over {MAX_VALUE} characters")
        if key in found:
            raise ActionInputInvalid(f"{where}.key: {key!r} is given twice")
        found[key] = text
    return found


def _kind(value: Any) -> str:
    return {dict: "object", list: "list", str: "string", bool: "boolean"}.get(
        type(value), "number" if isinstance(value, int | float) else "null"
    )
