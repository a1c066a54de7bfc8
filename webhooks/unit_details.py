"""What the unit page shows when something fails, shaped from records (pure: no I/O).

- ``deployed_bodies``: which deployments' template bodies the page compares: the last one
  that sent a body (succeeded, failed or still running) and the last applied before it;
- ``body_diff``: a readable unified diff between the two;
- ``relation`` and ``neighbour``: the graph around a unit, in the words of how two
  units are tied (its environment, a binding, the instances a pipeline deploys);
- ``console_link``: the stack in the AWS console of its region's partition, or a note
  that the stack lives in an emulator, which has no console.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from reconciler.state import Deployment, UnitRecord

# Lines of context around each change: enough to see which resource a line belongs to.
DIFF_CONTEXT = 3
# Console hosts by partition; a region's name says its partition.
CONSOLE_HOSTS = (
    ("cn-", "https://{region}.console.amazonaws.cn"),
    ("us-gov-", "https://console.amazonaws-us-gov.com"),
    ("us-iso", ""),  # the isolated partitions' consoles are not on the internet
    ("eu-isoe-", ""),
)
DEFAULT_CONSOLE_HOST = "https://{region}.console.aws.amazon.com"


@dataclass(frozen=True)
class DeployedBodies:
    """The deployments whose bodies the page shows: ``latest`` sent the newest body,
    ``previous`` is the last one applied before it (None: ``latest`` was the first), and
    ``applied`` is the last one applied at all (``latest`` itself when it succeeded)."""

    latest: Deployment | None
    previous: Deployment | None
    applied: Deployment | None


def deployed_bodies(history: Sequence[Deployment]) -> DeployedBodies:
    """Pick the deployments to compare from ``history`` (newest first)."""
    with_body = [d for d in history if d.body_digest is not None]
    if not with_body:
        return DeployedBodies(None, None, None)
    latest = with_body[0]
    previous = next((d for d in with_body[1:] if d.status == "SUCCEEDED"), None)
    applied = latest if latest.status == "SUCCEEDED" else previous
    return DeployedBodies(latest, previous, applied)


def deployment_label(unit_id: str, deployment: Deployment) -> str:
    """``service/web/test deployment 12 (1.3, 0a1b2c3d4e5f, FAILED)``: a diff's file name."""
    revision = deployment.revision[:12]
    return (
        f"{unit_id} deployment {deployment.id} "
        f"({deployment.version}, {revision}, {deployment.status})"
    )


def body_diff(before: str, after: str, before_label: str, after_label: str) -> str:
    """A unified diff of two template bodies; empty when they are the same."""
    lines = difflib.unified_diff(
        before.splitlines(),
        after.splitlines(),
        before_label,
        after_label,
        lineterm="",
        n=DIFF_CONTEXT,
    )
    return "\n".join(lines)


def diff_line_kind(line: str) -> str:
    """How the page colours one line of a unified diff."""
    if line.startswith(("+++", "---")):
        return "file"
    if line.startswith("@@"):
        return "hunk"
    if line.startswith("+"):
        return "add"
    if line.startswith("-"):
        return "remove"
    return "same"


def relation(unit_id: str, dependency_id: str) -> str:
    """How ``unit_id`` is tied to a unit it depends on, in one word."""
    kind = unit_id.split("/", 1)[0]
    other = dependency_id.split("/", 1)[0]
    if other == "environment":
        return "environment"
    if kind == "pipeline" and other == "service":
        return "deploys"
    if kind == "component" and other == "service":
        return "instance"
    if kind == "service" and other == "component":
        return "component"
    if kind == "service" and other == "service":
        return "binds"
    return "depends on"


def neighbour(
    unit_id: str, relation_word: str, record: UnitRecord | None, state: str | None
) -> dict[str, Any]:
    """One unit next to the page's unit: its id, how they are tied, and its state
    (``recorded`` false: the id is named but no such unit is recorded, so no link)."""
    return {
        "id": unit_id,
        "kind": unit_id.split("/", 1)[0],
        "relation": relation_word,
        "recorded": record is not None,
        "state": state,
        "stack_name": None if record is None else record.stack_name,
    }


def console_link(
    region: str, stack_name: str, stack_id: str | None, endpoint_url: str | None
) -> dict[str, Any]:
    """Where to see the stack in the AWS console, for the page and the API.

    ``endpoint_url``: the endpoint Goldenpath calls instead of AWS's own (the embedded
    or a standalone emulator); such a stack is in no AWS console, and the link says so.
    """
    if endpoint_url:
        return {
            "url": None,
            "emulator": endpoint_url,
            "text": f"the stack is in the emulator at {endpoint_url}, not in AWS: it has no "
            "console; its events are below",
        }
    host = next((h for prefix, h in CONSOLE_HOSTS if region.startswith(prefix)), None)
    if host == "":
        return {
            "url": None,
            "emulator": None,
            "text": f"{region} is an isolated partition: its console is not linked from here",
        }
    base = (host or DEFAULT_CONSOLE_HOST).format(region=region)
    page = f"{base}/cloudformation/home?region={quote(region, safe='')}"
    if stack_id:
        url = f"{page}#/stacks/stackinfo?stackId={quote(stack_id, safe='')}"
    else:
        url = f"{page}#/stacks?filteringText={quote(stack_name, safe='')}"
    return {"url": url, "emulator": None, "text": f"{stack_name} in the AWS console ({region})"}


def deployment_summary(deployment: Deployment | None) -> dict[str, Any] | None:
    """A deployment as the template and diff documents name it."""
    if deployment is None:
        return None
    return {
        "id": deployment.id,
        "status": deployment.status,
        "version": deployment.version,
        "revision": deployment.revision,
        "started_at": deployment.started_at.isoformat(),
        "body_digest": deployment.body_digest,
    }


def event_json(event: Any) -> dict[str, Any]:
    """One ``reconciler.cloud.StackEvent`` as plain JSON."""
    return {
        "timestamp": event.timestamp.isoformat(),
        "logical_id": event.logical_id,
        "physical_id": event.physical_id,
        "resource_type": event.resource_type,
        "status": event.status,
        "reason": event.reason,
        "is_stack": event.is_stack,
    }


def event_kind(status: str) -> str:
    """How the page colours an event's status: failed, rolled back, done or running."""
    if status.endswith("_FAILED"):
        return "bad"
    if "ROLLBACK" in status:
        return "warn"
    if status.endswith("_COMPLETE"):
        return "ok"
    return "run"


def hidden(text: str, values: Iterable[str], mask: str) -> str:
    """``text`` with each of ``values`` replaced by ``mask``, the longest first.

    Bodies are kept with the unit's secret inputs masked already; a body may still carry
    an output of a unit it binds, and one whose name says it is a secret is hidden here
    as the page hides it in the outputs table.
    """
    for value in sorted({v for v in values if v}, key=len, reverse=True):
        text = text.replace(value, mask)
    return text
