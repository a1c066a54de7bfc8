"""The forge client of a provisioning repository, from serve's forge settings.

The provisioning repository lives on the same forge as the platform repository and is
reached with the same credentials (``GOLDENPATH_FORGE_*``, never a file); only the
repository differs, named by ``goldenpath.yaml``'s ``spec.terraform.repository``. With no
forge configured, or one of another provider, the branch is still pushed over git and
the log says the pull request must be opened by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import httpx
import structlog

from reconciler.forges import ChangeRequests, ForgeSettings, SystemClock, open_forge
from reconciler.specs.model import ProvisioningRepository

log = structlog.get_logger(__name__)


def forge_for(
    settings: ForgeSettings, http: httpx.Client
) -> Callable[[ProvisioningRepository], ChangeRequests | None]:
    def make(repository: ProvisioningRepository) -> ChangeRequests | None:
        if settings.forge != repository.provider:
            log.warning(
                "provisioning.no_forge_client",
                provider=repository.provider,
                configured=settings.forge or "none",
                reason="GOLDENPATH_FORGE names another forge (or none): pull requests on "
                "the provisioning repository are not opened",
            )
            return None
        return open_forge(replace(settings, repo=repository.repo), http=http, clock=SystemClock())

    return make
