"""No data is lost: stacks of data templates keep their data when deleted or replaced.

For a template that ``goldenpath.yaml`` marks as holding data, every resource of a data
type gets ``DeletionPolicy`` and ``UpdateReplacePolicy`` of ``Retain`` (or ``Snapshot``
where CloudFormation can snapshot it) in the body that is deployed. Because the policy
is in the deployed template, deleting the stack — by a prune, or by hand — leaves the
data behind. A policy a template already sets to Retain or Snapshot is kept; an explicit
``Delete`` is overridden. The body is re-emitted as JSON, which CloudFormation accepts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.desired.template_body import BodyError, check_body, load_body
from reconciler.errors import RenderError

# Resource types that hold data, and the policy that keeps it.
DATA_POLICIES: Mapping[str, str] = {
    "AWS::S3::Bucket": "Retain",
    "AWS::DynamoDB::Table": "Retain",
    "AWS::DynamoDB::GlobalTable": "Retain",
    "AWS::RDS::DBInstance": "Snapshot",
    "AWS::RDS::DBCluster": "Snapshot",
    "AWS::EFS::FileSystem": "Retain",
    "AWS::ElastiCache::ReplicationGroup": "Snapshot",
    "AWS::Neptune::DBCluster": "Snapshot",
    "AWS::DocDB::DBCluster": "Snapshot",
    "AWS::Redshift::Cluster": "Snapshot",
    "AWS::Kinesis::Stream": "Retain",
    "AWS::SecretsManager::Secret": "Retain",
    "AWS::Logs::LogGroup": "Retain",
}
_KEEPING = {"Retain", "RetainExceptOnCreate", "Snapshot"}


@dataclass(frozen=True)
class Retained:
    """A data resource and the policy that keeps it."""

    logical_id: str
    type: str
    policy: str


def check_parses(body: str, *, file: str) -> dict[Any, Any]:
    """The data of ``body``; ``RenderError`` when it is not a CloudFormation mapping."""
    try:
        template = load_body(body)
    except BodyError as exc:
        raise RenderError(
            file, exc.line, f"the rendered template does not parse as CloudFormation: {exc}"
        ) from exc
    if not isinstance(template, dict):
        raise RenderError(file, None, "the rendered template does not parse as CloudFormation")
    return template


def check_parses_only(body: str, *, file: str) -> None:
    """``RenderError`` where ``check_parses`` would raise one, without building the data."""
    try:
        mapping = check_body(body)
    except BodyError as exc:
        raise RenderError(
            file, exc.line, f"the rendered template does not parse as CloudFormation: {exc}"
        ) from exc
    if not mapping:
        raise RenderError(file, None, "the rendered template does not parse as CloudFormation")


def retain_data(body: str, *, file: str) -> tuple[str, tuple[Retained, ...]]:
    """``body`` with keeping policies on every data resource, and what they keep."""
    template = check_parses(body, file=file)
    resources = template.get("Resources")
    kept: list[Retained] = []
    if isinstance(resources, dict):
        for logical_id, resource in resources.items():
            if not isinstance(resource, dict):
                continue
            policy = DATA_POLICIES.get(str(resource.get("Type")))
            if policy is None:
                continue
            for key in ("DeletionPolicy", "UpdateReplacePolicy"):
                if resource.get(key) not in _KEEPING:
                    resource[key] = policy
            kept.append(
                Retained(str(logical_id), str(resource["Type"]), str(resource["DeletionPolicy"]))
            )
    if not kept:
        return body, ()
    return json.dumps(_plain(template), indent=1, sort_keys=False), tuple(kept)


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, str):
        return str(node)
    return node
