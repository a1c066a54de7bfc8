"""Fix ``delete-leaves-resources``: deleting a stack leaves many resources behind.

moto 5.2.5 deletes a stack's resource through the model's ``delete`` method or its
``delete_from_cloudformation_json``; many models have neither, and moto then skips the
resource without a word. Route tables, internet gateways and their attachments, NAT
gateways, Elastic IPs, flow logs, ECS clusters, services and task definitions, ELBv2
listeners, rules and target groups, IAM managed policies: all stay. The VPC delete then
fails (``DependencyViolation``: its route tables remain), and re-creating a deleted stack
collides with the leftovers ("A target group with the same name already exists").

The patch deletes those types through their moto backends. CloudFormation deletes
dependents first, and so does the emulator's lifecycle, so each call finds its resource
free of dependents.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from emulator.fixes import fix_enabled

NAME = "delete-leaves-resources"

Deleter = Callable[[Any, str, str], None]


def _ec2(account_id: str, region: str) -> Any:
    from moto.ec2.models import ec2_backends

    return ec2_backends[account_id][region]


def _route_table(resource: Any, account_id: str, region: str) -> None:
    _ec2(account_id, region).delete_route_table(resource.id)


def _association(resource: Any, account_id: str, region: str) -> None:
    # moto's CloudFormation path records the association only in this table.
    ec2 = _ec2(account_id, region)
    ec2.subnet_associations.pop(f"{resource.route_table_id}:{resource.subnet_id}", None)


def _route(resource: Any, account_id: str, region: str) -> None:
    _ec2(account_id, region).delete_route(
        resource.route_table.id,
        resource.destination_cidr_block,
        resource.destination_ipv6_cidr_block,
    )


def _gateway_attachment(resource: Any, account_id: str, region: str) -> None:
    ec2 = _ec2(account_id, region)
    gateway = str(resource.gateway_id or "")
    if gateway.startswith("igw-"):
        ec2.detach_internet_gateway(gateway, resource.vpc_id)
    elif gateway.startswith("vgw-"):
        ec2.detach_vpn_gateway(gateway, resource.vpc_id)


def _internet_gateway(resource: Any, account_id: str, region: str) -> None:
    _ec2(account_id, region).delete_internet_gateway(resource.id)


def _nat_gateway(resource: Any, account_id: str, region: str) -> None:
    _ec2(account_id, region).delete_nat_gateway(resource.id)


def _elastic_ip(resource: Any, account_id: str, region: str) -> None:
    ec2 = _ec2(account_id, region)
    if resource.allocation_id:
        ec2.release_address(allocation_id=resource.allocation_id)
    else:
        ec2.release_address(address=resource.public_ip)


def _flow_log(resource: Any, account_id: str, region: str) -> None:
    _ec2(account_id, region).delete_flow_logs([resource.id])


def _vpc_endpoint(resource: Any, account_id: str, region: str) -> None:
    _ec2(account_id, region).delete_vpc_endpoints([resource.id])


def _ecs(account_id: str, region: str) -> Any:
    from moto.ecs.models import ecs_backends

    return ecs_backends[account_id][region]


def _ecs_service(resource: Any, account_id: str, region: str) -> None:
    _ecs(account_id, region).delete_service(resource.cluster_name, resource.name, force=True)


def _ecs_cluster(resource: Any, account_id: str, region: str) -> None:
    _ecs(account_id, region).delete_cluster(resource.name)


def _task_definition(resource: Any, account_id: str, region: str) -> None:
    _ecs(account_id, region).deregister_task_definition(resource.arn)


def _elbv2(account_id: str, region: str) -> Any:
    from moto.elbv2.models import elbv2_backends

    return elbv2_backends[account_id][region]


def _listener(resource: Any, account_id: str, region: str) -> None:
    _elbv2(account_id, region).delete_listener(resource.arn)


def _listener_rule(resource: Any, account_id: str, region: str) -> None:
    _elbv2(account_id, region).delete_rule(resource.arn)


def _target_group(resource: Any, account_id: str, region: str) -> None:
    _elbv2(account_id, region).delete_target_group(resource.arn)


def _managed_policy(resource: Any, account_id: str, region: str) -> None:
    from moto.iam.models import iam_backends

    iam_backends[account_id]["aws"].delete_policy(resource.arn)


DELETERS: dict[str, Deleter] = {
    "AWS::EC2::EIP": _elastic_ip,
    "AWS::EC2::FlowLog": _flow_log,
    "AWS::EC2::InternetGateway": _internet_gateway,
    "AWS::EC2::NatGateway": _nat_gateway,
    "AWS::EC2::Route": _route,
    "AWS::EC2::RouteTable": _route_table,
    "AWS::EC2::SubnetRouteTableAssociation": _association,
    "AWS::EC2::VPCEndpoint": _vpc_endpoint,
    "AWS::EC2::VPCGatewayAttachment": _gateway_attachment,
    "AWS::ECS::Cluster": _ecs_cluster,
    "AWS::ECS::Service": _ecs_service,
    "AWS::ECS::TaskDefinition": _task_definition,
    "AWS::ElasticLoadBalancingV2::Listener": _listener,
    "AWS::ElasticLoadBalancingV2::ListenerRule": _listener_rule,
    "AWS::ElasticLoadBalancingV2::TargetGroup": _target_group,
    "AWS::IAM::ManagedPolicy": _managed_policy,
}


def install() -> None:
    from moto.cloudformation import parsing

    stock_delete = parsing.ResourceMap._delete_resource

    def _delete_resource(self: Any, parsed_resource: Any, resource_json: dict[str, Any]) -> None:
        deleter = DELETERS.get(resource_json.get("Type", ""))
        if deleter is None or not fix_enabled(NAME):
            stock_delete(self, parsed_resource, resource_json)
            return
        deleter(parsed_resource, self._account_id, self._region_name)

    setattr(parsing.ResourceMap, "_delete_resource", _delete_resource)  # noqa: B010
