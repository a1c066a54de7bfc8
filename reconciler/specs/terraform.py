"""``spec.terraform`` of goldenpath.yaml: what its JSON Schema cannot check, and its value.

The schema checks the forms; this module reads the notification timeout (a duration, at
least a minute) and checks the repository's name for its provider, with file, line and
field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.errors import Problem
from reconciler.specs.drift import duration_seconds
from reconciler.specs.model import (
    DEFAULT_NOTIFICATION_TIMEOUT,
    Origin,
    ProvisioningRepository,
    TerraformSettings,
)
from reconciler.specs.yaml import Document

# Shorter than this, a unit would stall before any CI has even started Terraform.
MIN_NOTIFICATION_TIMEOUT = 60.0


def terraform_problems(doc: Document) -> list[Problem]:
    terraform = doc.data.get("spec", {}).get("terraform", {})
    problems = []
    timeout = terraform.get("notificationTimeout")
    if timeout is not None:
        try:
            seconds = duration_seconds(timeout)
        except ValueError as exc:
            seconds, problems = None, [doc.problem("spec.terraform.notificationTimeout", str(exc))]
        if seconds is not None and seconds < MIN_NOTIFICATION_TIMEOUT:
            problems.append(
                doc.problem(
                    "spec.terraform.notificationTimeout",
                    f"{timeout!r} is too short; expected at least 1m (the CI must have time "
                    "to run Terraform and report back)",
                )
            )
    repository = terraform.get("repository")
    if repository and repository.get("provider") == "github":
        owner, _, name = repository.get("repo", "").partition("/")
        if not owner or not name or "/" in name:
            problems.append(
                doc.problem(
                    "spec.terraform.repository.repo",
                    f"expected owner/name for a GitHub repository, got {repository.get('repo')!r}",
                )
            )
    return problems


def terraform_settings(data: Mapping[str, Any], origin: Origin) -> TerraformSettings:
    repository = data.get("repository")
    timeout = data.get("notificationTimeout")
    seconds = duration_seconds(timeout) if timeout is not None else None
    return TerraformSettings(
        repository=ProvisioningRepository(
            provider=repository["provider"],
            repo=repository["repo"],
            branch=repository.get("branch", "main"),
            url=repository.get("url"),
            origin=origin,
        )
        if repository
        else None,
        notification_timeout=seconds if seconds is not None else DEFAULT_NOTIFICATION_TIMEOUT,
    )
