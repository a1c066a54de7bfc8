"""Fix ``ingress-without-ports``: inline ingress rules without ``FromPort``/``ToPort``.

moto 5.2.5's ``SecurityGroup.create_from_cloudformation_json`` reads
``ingress_rule["FromPort"]`` and ``["ToPort"]`` for every inline ``SecurityGroupIngress``
rule, so a rule that allows all traffic (``IpProtocol: -1``, no ports, as the tutorial's
load-balancer group has) raises ``KeyError('FromPort')``.

The patch fills absent ports with -1 (all ports), which is what EC2 reports for such rules.
"""

from __future__ import annotations

import copy
from typing import Any

from emulator.fixes import fix_enabled

NAME = "ingress-without-ports"
ALL_PORTS = -1


def with_ports(cloudformation_json: dict[str, Any]) -> dict[str, Any]:
    """A copy of the resource whose inline ingress rules all carry both ports."""
    fixed = copy.deepcopy(cloudformation_json)
    for rule in fixed.get("Properties", {}).get("SecurityGroupIngress", []) or []:
        if isinstance(rule, dict):
            rule.setdefault("FromPort", ALL_PORTS)
            rule.setdefault("ToPort", ALL_PORTS)
    return fixed


def install() -> None:
    from moto.ec2.models.security_groups import SecurityGroup

    stock_create = SecurityGroup.__dict__["create_from_cloudformation_json"].__func__

    def create_from_cloudformation_json(
        cls: Any,
        /,
        resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Any:
        if fix_enabled(NAME):
            cloudformation_json = with_ports(cloudformation_json)
        return stock_create(
            cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
        )

    setattr(  # noqa: B010
        SecurityGroup,
        "create_from_cloudformation_json",
        classmethod(create_from_cloudformation_json),
    )
