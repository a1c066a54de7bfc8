"""The resource types the emulator simulates, and the real formats of their ids and attributes.

moto 5.2.5 has no CloudFormation model for these types. Rather than drop them (moto's
behaviour), the emulator records each one as a *simulated* resource: nothing is created in
any moto service, but the resource gets a physical id, ``Ref`` and ``Fn::GetAtt`` values in
the formats AWS uses, its own stack events, and it is reported as simulated.

Formats are ``str.format`` templates over these fields:

- ``partition``, ``region``, ``account``, ``stack_name``, ``logical_id``;
- ``name``: the value of the type's name property, or a CloudFormation-style generated name;
- ``p[Prop]``: a property of the resource as rendered (missing ones read as ``""``);
- random tokens drawn once per resource: ``uuid``, ``hex8``, ``hex17``, ``hex32``,
  ``lower6``, ``lower10``, ``lower12``, ``lower16``, ``upper20``, ``upper26``, ``alnum6``;
- whatever a type's ``extras`` function derives from its properties.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Extras = Callable[[Mapping[str, Any]], dict[str, str]]


@dataclass(frozen=True)
class SimulatedType:
    """How one resource type is simulated."""

    type_name: str
    """The CloudFormation type, e.g. ``AWS::CloudWatch::Alarm``."""

    ref: str
    """Format of the physical id, which is also what ``Ref`` returns."""

    attributes: Mapping[str, str] = field(default_factory=dict)
    """``Fn::GetAtt`` attribute name → format."""

    name_property: str | None = None
    """The property that names the resource; absent means CloudFormation generates a name."""

    lower_case_name: bool = False
    """Whether generated names must be lower case (RDS identifiers)."""

    name_limit: int = 255
    """Longest name AWS accepts; generated names are shortened to fit."""

    extras: Extras | None = None
    """Derives extra format fields from the properties (e.g. a topic name from its ARN)."""

    fallback: bool = False
    """moto emulates the type, but cannot create one that points at a simulated resource
    (a Lambda permission for a simulated SAM function); only then is it simulated."""


def _arn_tail(properties: Mapping[str, Any], key: str) -> str:
    return str(properties.get(key) or "").rsplit(":", 1)[-1]


def _subscription(properties: Mapping[str, Any]) -> dict[str, str]:
    return {"topic": _arn_tail(properties, "TopicArn")}


def _scaling_policy(properties: Mapping[str, Any]) -> dict[str, str]:
    # A policy names its target either directly or through ScalingTargetId ("id|dim|ns").
    target = str(properties.get("ScalingTargetId") or "").split("|")
    resource_id = str(properties.get("ResourceId") or (target[0] if target else ""))
    namespace = str(properties.get("ServiceNamespace") or (target[-1] if len(target) == 3 else ""))
    return {"resource_id": resource_id, "namespace": namespace}


def _api(properties: Mapping[str, Any]) -> dict[str, str]:
    scheme = "wss" if properties.get("ProtocolType") == "WEBSOCKET" else "https"
    return {"scheme": scheme}


_DB_PORTS = {"aurora-postgresql": "5432", "postgres": "5432", "aurora-mysql": "3306"}


def _db_cluster(properties: Mapping[str, Any]) -> dict[str, str]:
    engine = str(properties.get("Engine") or "aurora-mysql")
    port = properties.get("Port") or _DB_PORTS.get(engine, "3306")
    return {"port": str(port)}


_ARN = "arn:{partition}"
_GENERATED_ID = "{stack_name}-{logical_id}-{upper12}"

SIMULATED_TYPES: tuple[SimulatedType, ...] = (
    SimulatedType(
        "AWS::ApiGatewayV2::Api",
        ref="{lower10}",
        attributes={
            "ApiId": "{lower10}",
            "ApiEndpoint": "{scheme}://{lower10}.execute-api.{region}.amazonaws.com",
        },
        extras=_api,
    ),
    SimulatedType(
        "AWS::ApplicationAutoScaling::ScalableTarget",
        ref="{p[ResourceId]}|{p[ScalableDimension]}|{p[ServiceNamespace]}",
        attributes={"Id": "{p[ResourceId]}|{p[ScalableDimension]}|{p[ServiceNamespace]}"},
    ),
    SimulatedType(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        ref=_ARN + ":autoscaling:{region}:{account}:scalingPolicy:{uuid}:resource/"
        "{namespace}/{resource_id}:policyName/{name}",
        attributes={
            "Arn": _ARN + ":autoscaling:{region}:{account}:scalingPolicy:{uuid}:resource/"
            "{namespace}/{resource_id}:policyName/{name}"
        },
        name_property="PolicyName",
        name_limit=256,
        extras=_scaling_policy,
    ),
    SimulatedType(
        "AWS::AppRunner::AutoScalingConfiguration",
        ref=_ARN + ":apprunner:{region}:{account}:autoscalingconfiguration/{name}/1/{hex32}",
        attributes={
            "AutoScalingConfigurationArn": _ARN
            + ":apprunner:{region}:{account}:autoscalingconfiguration/{name}/1/{hex32}",
            "AutoScalingConfigurationRevision": "1",
            "Latest": "true",
        },
        name_property="AutoScalingConfigurationName",
        name_limit=32,
    ),
    SimulatedType(
        "AWS::AppRunner::Service",
        ref=_ARN + ":apprunner:{region}:{account}:service/{name}/{hex32}",
        attributes={
            "ServiceArn": _ARN + ":apprunner:{region}:{account}:service/{name}/{hex32}",
            "ServiceId": "{hex32}",
            "ServiceUrl": "{lower10}.{region}.awsapprunner.com",
            "Status": "RUNNING",
        },
        name_property="ServiceName",
        name_limit=40,
    ),
    SimulatedType(
        "AWS::AppRunner::VpcConnector",
        ref=_ARN + ":apprunner:{region}:{account}:vpcconnector/{name}/1/{hex32}",
        attributes={
            "VpcConnectorArn": _ARN + ":apprunner:{region}:{account}:vpcconnector/{name}/1/{hex32}",
            "VpcConnectorRevision": "1",
        },
        name_property="VpcConnectorName",
        name_limit=40,
    ),
    SimulatedType(
        "AWS::AppRunner::VpcIngressConnection",
        ref=_ARN + ":apprunner:{region}:{account}:vpcingressconnection/{name}/{hex32}",
        attributes={
            "VpcIngressConnectionArn": _ARN
            + ":apprunner:{region}:{account}:vpcingressconnection/{name}/{hex32}",
            # The private name the connection gives the service, resolved inside the VPC.
            "DomainName": "{lower10}.{region}.awsapprunner.com",
            "Status": "AVAILABLE",
        },
        name_property="VpcIngressConnectionName",
        name_limit=40,
    ),
    SimulatedType(
        "AWS::AutoScaling::LifecycleHook", ref="{name}", name_property="LifecycleHookName"
    ),
    SimulatedType(
        "AWS::CloudWatch::Alarm",
        ref="{name}",
        attributes={"Arn": _ARN + ":cloudwatch:{region}:{account}:alarm:{name}"},
        name_property="AlarmName",
    ),
    SimulatedType(
        "AWS::CodeBuild::Project",
        ref="{name}",
        attributes={
            "Arn": _ARN + ":codebuild:{region}:{account}:project/{name}",
            "Id": _ARN + ":codebuild:{region}:{account}:project/{name}",
        },
        name_property="Name",
    ),
    SimulatedType(
        "AWS::CodePipeline::Pipeline",
        ref="{name}",
        attributes={"Version": "1", "Arn": _ARN + ":codepipeline:{region}:{account}:{name}"},
        name_property="Name",
        name_limit=100,
    ),
    SimulatedType(
        "AWS::CodeStarConnections::Connection",
        ref=_ARN + ":codestar-connections:{region}:{account}:connection/{uuid}",
        attributes={
            "ConnectionArn": _ARN + ":codestar-connections:{region}:{account}:connection/{uuid}",
            # A new connection waits for its OAuth handshake, as in AWS.
            "ConnectionStatus": "PENDING",
            "OwnerAccountId": "{account}",
        },
        name_property="ConnectionName",
        name_limit=32,
    ),
    SimulatedType(
        "AWS::EC2::SecurityGroupEgress",
        ref="sgr-{hex17}",
        attributes={"Id": "sgr-{hex17}"},
    ),
    SimulatedType(
        "AWS::KinesisFirehose::DeliveryStream",
        ref="{name}",
        attributes={"Arn": _ARN + ":firehose:{region}:{account}:deliverystream/{name}"},
        name_property="DeliveryStreamName",
        name_limit=64,
    ),
    SimulatedType("AWS::Lambda::Permission", ref=_GENERATED_ID, fallback=True),
    SimulatedType(
        "AWS::RDS::DBCluster",
        ref="{name}",
        attributes={
            "DBClusterArn": _ARN + ":rds:{region}:{account}:cluster:{name}",
            "DBClusterResourceId": "cluster-{upper26}",
            "Endpoint.Address": "{name}.cluster-{lower12}.{region}.rds.amazonaws.com",
            "Endpoint.Port": "{port}",
            "ReadEndpoint.Address": "{name}.cluster-ro-{lower12}.{region}.rds.amazonaws.com",
            "MasterUserSecret.SecretArn": _ARN
            + ":secretsmanager:{region}:{account}:secret:rds!cluster-{uuid}-{alnum6}",
        },
        name_property="DBClusterIdentifier",
        lower_case_name=True,
        name_limit=63,
        extras=_db_cluster,
    ),
    SimulatedType("AWS::S3::BucketPolicy", ref=_GENERATED_ID),
    SimulatedType(
        "AWS::SecretsManager::Secret",
        ref=_ARN + ":secretsmanager:{region}:{account}:secret:{name}-{alnum6}",
        attributes={"Id": _ARN + ":secretsmanager:{region}:{account}:secret:{name}-{alnum6}"},
        name_property="Name",
        name_limit=512,
    ),
    SimulatedType(
        "AWS::Serverless::Api",
        ref="{lower10}",
        attributes={"RootResourceId": "{hex8}"},
    ),
    SimulatedType(
        "AWS::Serverless::Function",
        ref="{name}",
        attributes={"Arn": _ARN + ":lambda:{region}:{account}:function:{name}"},
        name_property="FunctionName",
        name_limit=64,
    ),
    SimulatedType(
        "AWS::Serverless::HttpApi",
        ref="{lower10}",
        attributes={
            "ApiId": "{lower10}",
            "ApiEndpoint": "https://{lower10}.execute-api.{region}.amazonaws.com",
        },
    ),
    SimulatedType(
        "AWS::Serverless::SimpleTable",
        ref="{name}",
        attributes={"Arn": _ARN + ":dynamodb:{region}:{account}:table/{name}"},
        name_property="TableName",
    ),
    SimulatedType(
        "AWS::ServiceDiscovery::HttpNamespace",
        ref="ns-{lower16}",
        attributes={
            "Id": "ns-{lower16}",
            "Arn": _ARN + ":servicediscovery:{region}:{account}:namespace/ns-{lower16}",
        },
    ),
    SimulatedType(
        "AWS::ServiceDiscovery::PrivateDnsNamespace",
        ref="ns-{lower16}",
        attributes={
            "Id": "ns-{lower16}",
            "Arn": _ARN + ":servicediscovery:{region}:{account}:namespace/ns-{lower16}",
            "HostedZoneId": "Z{upper20}",
        },
    ),
    SimulatedType(
        "AWS::ServiceDiscovery::PublicDnsNamespace",
        ref="ns-{lower16}",
        attributes={
            "Id": "ns-{lower16}",
            "Arn": _ARN + ":servicediscovery:{region}:{account}:namespace/ns-{lower16}",
            "HostedZoneId": "Z{upper20}",
        },
    ),
    SimulatedType(
        "AWS::ServiceDiscovery::Service",
        ref="srv-{lower16}",
        attributes={
            "Id": "srv-{lower16}",
            "Arn": _ARN + ":servicediscovery:{region}:{account}:service/srv-{lower16}",
            "Name": "{name}",
        },
        name_property="Name",
    ),
    SimulatedType(
        "AWS::SNS::Subscription",
        ref=_ARN + ":sns:{region}:{account}:{topic}:{uuid}",
        attributes={"Arn": _ARN + ":sns:{region}:{account}:{topic}:{uuid}"},
        extras=_subscription,
    ),
    SimulatedType("AWS::SNS::TopicPolicy", ref=_GENERATED_ID, attributes={"Id": _GENERATED_ID}),
    SimulatedType("AWS::SQS::QueuePolicy", ref=_GENERATED_ID, attributes={"Id": _GENERATED_ID}),
)

CATALOG: dict[str, SimulatedType] = {kind.type_name: kind for kind in SIMULATED_TYPES}


def catalog_table() -> str:
    """The catalog as the Markdown table that docs/emulator.md carries."""
    lines = ["| type | `Ref` | `Fn::GetAtt` | simulated |", "|---|---|---|---|"]
    for kind in SIMULATED_TYPES:
        attributes = ", ".join(f"`{name}`" for name in kind.attributes) or "—"
        when = "when it points at a simulated resource" if kind.fallback else "always"
        # A pipe inside a table cell must be escaped, even within backticks.
        ref = kind.ref.replace("|", "\\|")
        lines.append(f"| `{kind.type_name}` | `{ref}` | {attributes} | {when} |")
    return "\n".join(lines)
