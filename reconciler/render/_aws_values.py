"""Realistic AWS values for the resources of a stack that has not been deployed.

cfn-lint checks formats: a subnet id must look like ``subnet-0123…``, a role ARN like
``arn:aws:iam::…:role/…``. A service template rendered against an environment whose outputs
are dummies fails lint for reasons that have nothing to do with it (RENDERING-NOTES: with
every output set to "placeholder", 17 corpus files fail with 110 errors). So the values
here have the shape AWS gives them, by resource type and attribute (the table is in
``_aws_shapes``), and are derived from a hash of the stack name and logical id, so that
every run gives the same values.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

# The random part AWS appends to generated physical names, e.g. "stack-Queue-1A2B3C4D5E6F".
_NAME_TOKEN_LENGTH = 12
# EC2 ids have 17 hex digits since 2018: vpc-0123456789abcdef0.
EC2_ID_LENGTH = 17


@dataclass(frozen=True)
class StackSite:
    """Where the stack would live; pseudo parameters are answered from here."""

    account_id: str
    region: str
    stack_name: str

    @property
    def partition(self) -> str:
        if self.region.startswith("cn-"):
            return "aws-cn"
        return "aws-us-gov" if self.region.startswith("us-gov-") else "aws"

    @property
    def url_suffix(self) -> str:
        return "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com"


@dataclass(frozen=True)
class Resource:
    """One resource of the template, with deterministic ids and names derived for it."""

    site: StackSite
    logical_id: str
    type: str
    properties: Mapping[str, Any] = field(default_factory=dict)

    def digest(self, salt: str = "") -> bytes:
        seed = f"{self.site.stack_name}/{self.logical_id}/{salt}"
        return hashlib.sha256(seed.encode()).digest()

    def hex(self, length: int, salt: str = "") -> str:
        return self.digest(salt).hex()[:length]

    def token(self, length: int = _NAME_TOKEN_LENGTH, salt: str = "") -> str:
        return base64.b32encode(self.digest(salt)).decode()[:length]

    def ec2_id(self, prefix: str) -> str:
        return f"{prefix}-{self.hex(EC2_ID_LENGTH, prefix)}"

    def name(
        self, property_name: str | None = None, *, limit: int = 128, lowercase: bool = False
    ) -> str:
        """The name set in the template, or one generated the way CloudFormation does."""
        given = self.properties.get(property_name) if property_name else None
        if isinstance(given, str):
            return given
        token = self.token()
        base = f"{self.site.stack_name}-{self.logical_id}"[: max(limit - len(token) - 1, 1)]
        generated = f"{base}-{token}"
        return generated.lower() if lowercase else generated

    def arn(
        self, service: str, resource: str, *, regional: bool = True, in_account: bool = True
    ) -> str:
        region = self.site.region if regional else ""
        account = self.site.account_id if in_account else ""
        return f"arn:{self.site.partition}:{service}:{region}:{account}:{resource}"

    def host(self, service: str, label: str) -> str:
        return f"{label}.{service}.{self.site.region}.{self.site.url_suffix}"


Format = Callable[[Resource], str]


@dataclass(frozen=True)
class Shape:
    """What ``Ref`` and each ``Fn::GetAtt`` attribute return for one resource type."""

    ref: Format
    attributes: Mapping[str, Format] = field(default_factory=dict)


def fallback_value(resource: Resource, attribute: str | None) -> str:
    """A plausible value for a type or attribute the table does not know, by its name."""
    service = resource.type.split("::")[1].lower() if "::" in resource.type else "unknown"
    kind = resource.type.rsplit("::", 1)[-1].lower()
    name = resource.name(limit=128)
    if attribute is None or attribute.endswith("Name"):
        return name
    if attribute.endswith("Arn"):
        return resource.arn(service, f"{kind}/{name}")
    if attribute.endswith(("Id", "ID")):
        return f"{kind[:8]}-{resource.hex(EC2_ID_LENGTH, attribute)}"
    if attribute.endswith(("Url", "URL")):
        return f"https://{resource.host(service, name.lower())}"
    if attribute.endswith(("DNSName", "DnsName", "Endpoint", "Address", "DomainName")):
        return resource.host(service, name.lower())
    if attribute.endswith("Port"):
        return "443"
    return name
