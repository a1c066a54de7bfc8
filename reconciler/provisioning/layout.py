"""Where each Terraform unit lives in the provisioning repository: Proton's layout.

The sample workflow (``proton_run.yml``) derives the working directory from the resource
ARN in ``.proton/deployment-metadata.json``: ``<env>/`` for an environment,
``<env>/<service>-<instance>/`` for a service instance, ``<service>/pipeline/`` for a
pipeline and ``<env>/<component>/`` for a component. Writing anywhere else would make it
run Terraform in the wrong folder.
"""

from __future__ import annotations

METADATA = ".proton/deployment-metadata.json"


def unit_folder(
    kind: str,
    *,
    environment: str | None,
    service: str | None = None,
    instance: str | None = None,
    component: str | None = None,
) -> str:
    """The folder of a unit, relative to the provisioning repository's root (no slash)."""
    if kind == "environment" and environment:
        return environment
    if kind == "service" and environment and service and instance:
        return f"{environment}/{service}-{instance}"
    if kind == "pipeline" and service:
        return f"{service}/pipeline"
    if kind == "component" and environment and component:
        return f"{environment}/{component}"
    raise ValueError(
        f"a {kind} unit needs "
        + {
            "environment": "its environment",
            "service": "its environment, service and instance",
            "pipeline": "its service",
            "component": "its environment and component name",
        }.get(kind, "a known kind")
    )
