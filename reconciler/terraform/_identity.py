"""Who a Terraform unit is, in the files Proton wrote: URNs and the deployment metadata.

Proton named each resource by its ARN, in the ``"//"`` key of ``proton.auto.tfvars.json``,
in the header of the variables file and in ``.proton/deployment-metadata.json``. The
sample workflow (``proton_run.yml``) parses that ARN: the fourth ``:`` field is the
region, and what follows the last ``:`` says the kind and the working directory
(``environment/<env>``, ``service/<svc>/service-instance/<inst>``, ``service/<svc>/pipeline``,
``component/<name>``). Goldenpath writes a URN of the same shape in its place, so the
workflow's parsing keeps working:

    urn:goldenpath:unit:<region>:<account>:environment/<env>
    urn:goldenpath:unit:<region>:<account>:service/<svc>/service-instance/<inst>
    urn:goldenpath:unit:<region>:<account>:service/<svc>/pipeline
    urn:goldenpath:unit:<region>:<account>:component/<svc>-<inst>-<component>

Templates are not in an account: ``urn:goldenpath:template:::environment-template/<name>``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from reconciler.terraform._json import jackson_json

UnitKind = Literal["environment", "service", "pipeline", "component"]
UNIT_URN = "urn:goldenpath:unit"
TEMPLATE_URN = "urn:goldenpath:template"
METADATA_FILE = ".proton/deployment-metadata.json"


class MetadataError(ValueError):
    """A deployment-metadata.json that Goldenpath did not write, or that is damaged."""


@dataclass(frozen=True)
class TerraformResource:
    """What names a Terraform unit in its files; all a deletion marker needs.

    ``environment`` is the environment of an instance or a component (its URN goes into
    the metadata, where the workflow finds the working directory); ``template``,
    ``major`` and ``minor`` are absent for components, which have no template.
    """

    unit_id: str
    kind: UnitKind
    region: str
    account: str
    environment: str | None = None
    template: str | None = None
    major: int | None = None
    minor: int | None = None

    @property
    def urn(self) -> str:
        return f"{UNIT_URN}:{self.region}:{self.account}:{_resource(self.kind, self.unit_id)}"

    @property
    def environment_urn(self) -> str | None:
        """The URN of the unit's environment (instances and components)."""
        if self.environment is None or self.kind not in ("service", "component"):
            return None
        # The environment is in the same account and region as the units deployed to it.
        return f"{UNIT_URN}:{self.region}:{self.account}:environment/{self.environment}"

    @property
    def template_urn(self) -> str | None:
        if self.template is None:
            return None
        kind = "environment-template" if self.kind == "environment" else "service-template"
        return f"{TEMPLATE_URN}:::{kind}/{self.template}"

    def metadata(self, deployment_id: str | None, *, deleted: bool = False) -> dict[str, Any]:
        """``.proton/deployment-metadata.json`` as data; ``deployment_id`` None leaves the
        key out (what the fingerprint hashes: a new deployment id changes nothing)."""
        out: dict[str, Any] = {}
        if deployment_id is not None:
            out["deploymentId"] = deployment_id
        out["isResourceDeleted"] = deleted
        if self.kind == "component":
            out["componentMetadata"] = {"arn": self.urn, "environmentArn": self.environment_urn}
            return out
        resource: dict[str, Any] = {
            "arn": self.urn,
            "templateArn": self.template_urn,
            "templateMajorVersion": str(self.major),
            "templateMinorVersion": str(self.minor),
        }
        if self.environment_urn is not None:
            resource["environmentArn"] = self.environment_urn
        out["resourceMetadata"] = resource
        return out

    def metadata_file(self, deployment_id: str, *, deleted: bool = False) -> bytes:
        return jackson_json(self.metadata(deployment_id, deleted=deleted))


def deletion_marker(resource: TerraformResource, deployment_id: str) -> dict[str, bytes]:
    """The files that ask the workflow to ``terraform destroy`` the unit's folder.

    Proton kept the unit's ``.tf`` and variable files in place (``destroy`` needs them)
    and rewrote only the deployment metadata, with ``isResourceDeleted: true`` and a new
    deployment id. Paths are relative to the unit's folder.
    """
    return {METADATA_FILE: resource.metadata_file(deployment_id, deleted=True)}


def resource_of_metadata(data: bytes) -> tuple[TerraformResource, str]:
    """The resource and deployment id a metadata file written by Goldenpath names.

    For a unit whose spec is gone, the last metadata written is where its identity is
    kept (a deletion marker is made from it). Raises ``MetadataError`` otherwise.
    """
    try:
        doc = json.loads(data)
    except ValueError as exc:
        raise MetadataError(f"{METADATA_FILE} is not JSON: {exc}") from exc
    if not isinstance(doc, Mapping):
        raise MetadataError(f"{METADATA_FILE}: expected an object")
    meta = doc.get("resourceMetadata") or doc.get("componentMetadata")
    if not isinstance(meta, Mapping) or not isinstance(meta.get("arn"), str):
        raise MetadataError(f"{METADATA_FILE}: expected resourceMetadata.arn")
    kind, unit_id, region, account = _parse_urn(meta["arn"])
    environment = None
    if isinstance(meta.get("environmentArn"), str):
        environment = _parse_urn(meta["environmentArn"])[1].split("/", 1)[1]
    template = meta.get("templateArn")
    resource = TerraformResource(
        unit_id=unit_id,
        kind=kind,
        region=region,
        account=account,
        environment=environment,
        template=template.rsplit("/", 1)[1] if isinstance(template, str) else None,
        major=_int(meta.get("templateMajorVersion")),
        minor=_int(meta.get("templateMinorVersion")),
    )
    return resource, str(doc.get("deploymentId", ""))


def _resource(kind: UnitKind, unit_id: str) -> str:
    parts = unit_id.split("/")
    if kind == "environment":
        return f"environment/{parts[1]}"
    if kind == "service":
        return f"service/{parts[1]}/service-instance/{parts[2]}"
    if kind == "pipeline":
        return f"service/{parts[1]}/pipeline"
    return f"component/{parts[1]}-{parts[2]}-{parts[3]}"


def _parse_urn(urn: str) -> tuple[UnitKind, str, str, str]:
    fields = urn.split(":")
    if len(fields) != 6 or ":".join(fields[:3]) != UNIT_URN:
        raise MetadataError(f"{urn!r} is not a Goldenpath unit URN ({UNIT_URN}:…)")
    region, account, resource = fields[3], fields[4], fields[5].split("/")
    if resource[0] == "environment" and len(resource) == 2:
        return "environment", f"environment/{resource[1]}", region, account
    if resource[0] == "service" and len(resource) == 4 and resource[2] == "service-instance":
        return "service", f"service/{resource[1]}/{resource[3]}", region, account
    if resource[0] == "service" and len(resource) == 3 and resource[2] == "pipeline":
        return "pipeline", f"pipeline/{resource[1]}", region, account
    raise MetadataError(
        f"{urn!r}: a component's id cannot be read back from its URN; "
        "expected an environment, a service instance or a pipeline"
    )


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def proton_folder(resource: TerraformResource) -> str:
    """The unit's folder in a provisioning repo, as the sample workflow derives it from
    the URN (``working_directory`` in ``proton_run.yml``): ``<env>``,
    ``<env>/<service>-<instance>``, ``<service>/pipeline``, ``<env>/<svc>-<inst>-<comp>``."""
    parts = resource.unit_id.split("/")
    if resource.kind == "environment":
        return parts[1]
    if resource.kind == "pipeline":
        return f"{parts[1]}/pipeline"
    env = resource.environment or ""
    return f"{env}/{'-'.join(parts[1:])}"
