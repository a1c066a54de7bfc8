"""Deploy stacks as AWS Proton did, so an emulated cloud can hold a Proton estate.

Proton is gone (2026-10-07) but its CloudFormation stacks still run; Goldenpath takes them
over in place. Tests and the migration demo need such stacks, made the way Proton made
them and not through Goldenpath's apply:

* one ``CreateStack`` per unit, in the account the unit lived in (environments, service
  instances and components in the environment's account; pipelines in the Proton
  management account), through a role assumed in that account;
* the body as Proton rendered it (Jinja already applied: no CloudFormation parameters);
* Proton's name, ``AWSProton-<name part, cut>-cloudformation-<random uppercase>``, which
  cannot be read back into Proton names (``proton_stack_name``);
* Proton's tags, whose values are full Proton ARNs (``proton_tags``), as the Proton user
  guide's "Proton resources and tagging" lists them: ``proton:account``,
  ``proton:template``, ``proton:environment``, ``proton:service``,
  ``proton:service-instance``, ``proton:component``.

This module takes bodies that are already rendered: rendering is Goldenpath's
(``goldenpath.proton_estate``), and the emulator imports no Goldenpath package.
"""

from __future__ import annotations

import random
import re
import string
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

ProtonKind = Literal["environment", "service-instance", "pipeline", "component"]

#: What Proton passed: templates create IAM roles (named ones too) and may use macros.
CAPABILITIES = ("CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND")
#: The role the deployer assumes in each account; the emulator accepts any role.
DEFAULT_ROLE = "arn:aws:iam::{account}:role/AWSProtonServiceRole"
# Proton cut each name part of a stack name to about this many characters.
NAME_PART_CHARS = 15
# The random uppercase tail of a Proton stack name.
SUFFIX_CHARS = 13
# Any key works against the emulator; these are the conventional test ones.
_STATIC_KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
_NOT_IN_NAME = re.compile(r"[^-A-Za-z0-9]")
_DONE = "CREATE_COMPLETE"


@dataclass(frozen=True)
class ProtonStack:
    """One unit as Proton deployed it: where, under which name part, with what body and tags."""

    kind: ProtonKind
    account: str
    region: str
    name_part: str  # the environment's name, or the service's
    body: str
    tags: Mapping[str, str]


@dataclass(frozen=True)
class DeployedStack:
    """A stack the deployer created, as CloudFormation describes it once complete."""

    account: str
    region: str
    stack_name: str
    stack_id: str
    outputs: Mapping[str, str] = field(default_factory=dict)


class ProtonDeployError(RuntimeError):
    """A stack did not reach CREATE_COMPLETE (its status and reason are in the message)."""


def proton_arn(region: str, account: str, resource: str) -> str:
    """``arn:aws:proton:<region>:<account>:<resource>``, e.g. ``environment/Beta``."""
    return f"arn:aws:proton:{region}:{account}:{resource}"


def proton_tags(
    kind: ProtonKind,
    *,
    region: str,
    management_account: str,
    template: str | None = None,
    environment: str | None = None,
    service: str | None = None,
    instance: str | None = None,
    component: str | None = None,
) -> dict[str, str]:
    """The ``proton:*`` tags Proton put on a stack of ``kind``, with full ARNs.

    Proton resources (and so their ARNs) live in the management account and region;
    ``template`` is the template's name (an environment template for environments, a
    service template for instances and pipelines; directly defined components have none).
    """

    def arn(resource: str) -> str:
        return proton_arn(region, management_account, resource)

    tags = {"proton:account": management_account}
    if kind == "environment":
        tags["proton:template"] = arn(f"environment-template/{_given(template, 'template')}")
        tags["proton:environment"] = arn(f"environment/{_given(environment, 'environment')}")
        return tags
    svc = _given(service, "service")
    tags["proton:service"] = arn(f"service/{svc}")
    if kind == "pipeline":
        tags["proton:template"] = arn(f"service-template/{_given(template, 'template')}")
        return tags
    tags["proton:environment"] = arn(f"environment/{_given(environment, 'environment')}")
    tags["proton:service-instance"] = arn(
        f"service/{svc}/service-instance/{_given(instance, 'instance')}"
    )
    if kind == "service-instance":
        tags["proton:template"] = arn(f"service-template/{_given(template, 'template')}")
    else:
        tags["proton:component"] = arn(f"component/{_given(component, 'component')}")
    return tags


def proton_stack_name(name_part: str, rng: random.Random | None = None) -> str:
    """``AWSProton-<name part cut to 15>-cloudformation-<13 random uppercase letters>``."""
    part = _NOT_IN_NAME.sub("-", name_part)[:NAME_PART_CHARS].strip("-") or "unit"
    suffix = "".join((rng or random.SystemRandom()).choices(string.ascii_uppercase, k=SUFFIX_CHARS))
    return f"AWSProton-{part}-cloudformation-{suffix}"


class ProtonDeployer:
    """Creates stacks as Proton did, against one endpoint (the emulator, usually)."""

    def __init__(
        self,
        endpoint_url: str,
        *,
        role: str = DEFAULT_ROLE,
        rng: random.Random | None = None,
        timeout: float = 120.0,
        poll: float = 0.05,
    ) -> None:
        self.endpoint_url = endpoint_url
        self.role = role
        self.rng = rng or random.SystemRandom()
        self.timeout = timeout
        self.poll = poll

    def deploy(self, stack: ProtonStack) -> DeployedStack:
        """CreateStack with Proton's name, body and tags; wait for CREATE_COMPLETE."""
        cfn = self._client(stack.account, stack.region)
        name = proton_stack_name(stack.name_part, self.rng)
        stack_id = cfn.create_stack(
            StackName=name,
            TemplateBody=stack.body,
            Capabilities=list(CAPABILITIES),
            Tags=[{"Key": key, "Value": value} for key, value in stack.tags.items()],
        )["StackId"]
        described = self._wait(cfn, name)
        outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", ())}
        return DeployedStack(stack.account, stack.region, name, stack_id, outputs)

    def _wait(self, cfn: Any, name: str) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while True:
            described: dict[str, Any] = cfn.describe_stacks(StackName=name)["Stacks"][0]
            status = described["StackStatus"]
            if status == _DONE:
                return described
            if not status.endswith("_IN_PROGRESS"):
                reason = described.get("StackStatusReason") or "no reason given"
                raise ProtonDeployError(f"stack {name} ended {status}: {reason}")
            if time.monotonic() > deadline:
                raise ProtonDeployError(f"stack {name} still {status} after {self.timeout} s")
            time.sleep(self.poll)

    def _client(self, account: str, region: str) -> Any:
        import boto3

        session = boto3.session.Session()
        sts = session.client(
            "sts", endpoint_url=self.endpoint_url, region_name=region, **_STATIC_KEYS
        )
        answer = sts.assume_role(
            RoleArn=self.role.format(account=account), RoleSessionName="AWSProton"
        )["Credentials"]
        return session.client(
            "cloudformation",
            endpoint_url=self.endpoint_url,
            region_name=region,
            aws_access_key_id=answer["AccessKeyId"],
            aws_secret_access_key=answer["SecretAccessKey"],
            aws_session_token=answer["SessionToken"],
        )


def _given(value: str | None, what: str) -> str:
    if not value:
        raise ValueError(f"a Proton tag needs the {what} name")
    return value
