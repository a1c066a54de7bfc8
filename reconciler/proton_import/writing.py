"""The platform repo files an import writes, as text: specs that adopt the Proton stacks.

Every unit keeps its stack: ``stackName`` names it (environment ``spec.stackName``,
instance ``stackName``, ``spec.pipeline.stackName``), so Goldenpath adopts it in place
instead of creating a ``goldenpath-*`` stack. Versions are pinned exactly (``"1.0"``):
an adopted stack must render as it runs, and a later minor version should reach it only
by a reviewed spec change. Only inputs that differ from the schema's defaults are
written. ``goldenpath.yaml`` prunes nothing: removing an imported spec must never delete
a stack that Proton made.

Pure: results in, ``{repo-relative path: text}`` out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from reconciler.proton_import.accounts import AccountEntry
from reconciler.proton_import.estate import ServiceResult, UnitResult

API_VERSION = "goldenpath.dev/v1"
PLATFORM_NAME = "imported-from-proton"
# The team the skeleton teams.yaml defines; imported services belong to it until moved.
ADMIN_TEAM = "platform"


def _dump(header: str, document: Mapping[str, Any]) -> str:
    body = yaml.safe_dump(dict(document), sort_keys=False, default_flow_style=False, width=100)
    return f"{header}\n{body}"


def _account(accounts: Sequence[AccountEntry], account: str, region: str) -> dict[str, str]:
    for entry in accounts:
        if entry.id == account and entry.region == region:
            return entry.as_spec()
    return {"id": account, "region": region}


def _origin(result: UnitResult) -> str:
    stack = result.stack
    return f"{stack.stack_name} ({stack.account}/{stack.region})"


def environment_file(
    result: UnitResult, accounts: Sequence[AccountEntry], *, version: str
) -> tuple[str, str]:
    """``environments/<name>.yaml`` for one recovered environment."""
    name = str(result.stack.unit.environment)
    recovery = result.recovery
    spec: dict[str, Any] = {
        "template": {"name": recovery.bundle.name if recovery.bundle else "", "version": version},
        "account": _account(accounts, result.stack.account, result.stack.region),
        "stackName": result.stack.stack_name,
    }
    if recovery.given:
        spec["inputs"] = dict(recovery.given)
    document = {
        "apiVersion": API_VERSION,
        "kind": "Environment",
        "metadata": {"name": name},
        "spec": spec,
    }
    header = f"# Imported from the Proton stack {_origin(result)} by goldenpath import."
    return f"environments/{name}.yaml", _dump(header, document)


def service_file(
    service: ServiceResult,
    *,
    versions: Mapping[str, str],
    team: str = ADMIN_TEAM,
    provider: str = "github",
) -> tuple[str, str]:
    """``services/<name>.yaml``; ``versions`` maps unit id → the version string to pin."""
    units = [*service.instances, *([service.pipeline] if service.pipeline else [])]
    service_version = (
        versions[service.pipeline.unit_id]
        if service.pipeline is not None
        else Counter(versions[r.unit_id] for r in service.instances).most_common(1)[0][0]
    )
    spec: dict[str, Any] = {"template": {"name": service.template, "version": service_version}}
    repository = _repository(service.repository, provider)
    if repository:
        spec["repository"] = repository
    if service.pipeline is not None:
        pipeline: dict[str, Any] = {}
        if service.pipeline.recovery.given:
            pipeline["inputs"] = dict(service.pipeline.recovery.given)
        pipeline["stackName"] = service.pipeline.stack.stack_name
        spec["pipeline"] = pipeline
    instances = []
    for result in service.instances:
        entry: dict[str, Any] = {
            "name": str(result.stack.unit.instance),
            "environment": str(result.stack.unit.environment),
            "stackName": result.stack.stack_name,
        }
        if versions[result.unit_id] != service_version:
            entry["version"] = versions[result.unit_id]
        if result.recovery.given:
            entry["inputs"] = dict(result.recovery.given)
        instances.append(entry)
    spec["instances"] = instances
    document = {
        "apiVersion": API_VERSION,
        "kind": "Service",
        "metadata": {"name": service.name, "team": team},
        "spec": spec,
    }
    stacks = ", ".join(_origin(r) for r in units)
    header = f"# Imported from the Proton stacks {stacks} by goldenpath import."
    return f"services/{service.name}.yaml", _dump(header, document)


def _repository(found: Mapping[str, str], provider: str) -> dict[str, str]:
    if not found.get("repository_id"):
        return {}
    repository = {"provider": provider, "id": found["repository_id"]}
    if found.get("branch_name"):
        repository["branch"] = found["branch_name"]
    if found.get("repository_connection_arn"):
        repository["connectionArn"] = found["repository_connection_arn"]
    return repository


def platform_file(pipelines: AccountEntry | None, region: str) -> tuple[str, str]:
    """``goldenpath.yaml``: the default region, the pipelines' account, no pruning."""
    spec: dict[str, Any] = {"region": region}
    if pipelines is not None:
        spec["pipelines"] = {"account": pipelines.as_spec()}
    spec["prune"] = {"environment": False, "service": False, "pipeline": False}
    document = {
        "apiVersion": API_VERSION,
        "kind": "Platform",
        "metadata": {"name": PLATFORM_NAME},
        "spec": spec,
    }
    header = (
        "# Written by goldenpath import. Pruning is off: removing an imported spec must never\n"
        "# delete a stack Proton made. Add spec.rollout.order (your environments, in the\n"
        "# order you promote) before you let minor versions roll out automatically."
    )
    return "goldenpath.yaml", _dump(header, document)


def teams_file() -> tuple[str, str]:
    """``teams.yaml``: an admin team with a placeholder member to replace."""
    return (
        "teams.yaml",
        f"""# Written by goldenpath import: a skeleton. Replace the placeholder with the forge
# user names of your platform admins, and add a team per group of developers, e.g.
#   storefront: {{members: [gregg], templates: ["*"], environments: ["*"]}}
apiVersion: {API_VERSION}
kind: Teams
metadata:
  name: {PLATFORM_NAME}
spec:
  teams:
    {ADMIN_TEAM}:
      admin: true
      members:
      - replace-with-an-admin  # a forge user name
""",
    )
