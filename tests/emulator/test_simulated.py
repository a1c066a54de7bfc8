"""Simulated resources: real-format ids and attributes, their own events, marked simulated."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from emulator.server import EmbeddedEmulator
from emulator.simulated.catalog import CATALOG, SIMULATED_TYPES
from emulator.simulated.reason import SIMULATED_REASON_PREFIX
from tests.conftest import CORPUS, EXAMPLE_REPO
from tests.emulator.conftest import DEFAULT_ACCOUNT, REGION, Client
from tests.emulator.probes import admin, outputs_of, resource_events, stack_of, template

Names = Callable[[str], str]
ARN = rf"arn:aws:[a-z0-9-]+:{REGION}:{DEFAULT_ACCOUNT}:"
NAME = r"[A-Za-z0-9-]+-Thing-[A-Z0-9]{12}"

# Type -> (properties, Ref pattern, {attribute: pattern}). Patterns follow AWS's formats.
EXPECTED: dict[str, tuple[dict[str, Any], str, dict[str, str]]] = {
    "AWS::ApiGatewayV2::Api": (
        {"Name": "api", "ProtocolType": "HTTP"},
        r"[a-z0-9]{10}",
        {
            "ApiId": r"[a-z0-9]{10}",
            "ApiEndpoint": rf"https://[a-z0-9]{{10}}\.execute-api\.{REGION}\.amazonaws\.com",
        },
    ),
    "AWS::ApplicationAutoScaling::ScalableTarget": (
        {"ResourceId": "service/c/s", "ScalableDimension": "ecs:service:DesiredCount",
         "ServiceNamespace": "ecs", "MinCapacity": 1, "MaxCapacity": 2},
        r"service/c/s\|ecs:service:DesiredCount\|ecs",
        {"Id": r"service/c/s\|ecs:service:DesiredCount\|ecs"},
    ),
    "AWS::ApplicationAutoScaling::ScalingPolicy": (
        {"PolicyName": "up", "PolicyType": "StepScaling",
         "ScalingTargetId": "service/c/s|ecs:service:DesiredCount|ecs"},
        ARN + r"scalingPolicy:[0-9a-f-]{36}:resource/ecs/service/c/s:policyName/up",
        {"Arn": ARN + r"scalingPolicy:[0-9a-f-]{36}:resource/ecs/service/c/s:policyName/up"},
    ),
    "AWS::AppRunner::AutoScalingConfiguration": (
        {"AutoScalingConfigurationName": "web-test", "MinSize": 2, "MaxSize": 2},
        ARN + r"autoscalingconfiguration/web-test/1/[0-9a-f]{32}",
        {"AutoScalingConfigurationArn": ARN + r"autoscalingconfiguration/web-test/1/[0-9a-f]{32}",
         "AutoScalingConfigurationRevision": "1", "Latest": "true"},
    ),
    "AWS::AppRunner::Service": (
        {"ServiceName": "web"},
        ARN + r"service/web/[0-9a-f]{32}",
        {"ServiceArn": ARN + r"service/web/[0-9a-f]{32}", "ServiceId": r"[0-9a-f]{32}",
         "ServiceUrl": rf"[a-z0-9]{{10}}\.{REGION}\.awsapprunner\.com", "Status": "RUNNING"},
    ),
    "AWS::AppRunner::VpcConnector": (
        {"VpcConnectorName": "conn", "Subnets": ["subnet-1"]},
        ARN + r"vpcconnector/conn/1/[0-9a-f]{32}",
        {"VpcConnectorArn": ARN + r"vpcconnector/conn/1/[0-9a-f]{32}", "VpcConnectorRevision": "1"},
    ),
    "AWS::AppRunner::VpcIngressConnection": (
        {"ServiceArn": "arn:aws:apprunner:us-east-1:123456789012:service/web/1",
         "IngressVpcConfiguration": {"VpcId": "vpc-1", "VpcEndpointId": "vpce-1"}},
        ARN + rf"vpcingressconnection/{NAME}/[0-9a-f]{{32}}",
        {"VpcIngressConnectionArn": ARN + rf"vpcingressconnection/{NAME}/[0-9a-f]{{32}}",
         "DomainName": rf"[a-z0-9]{{10}}\.{REGION}\.awsapprunner\.com", "Status": "AVAILABLE"},
    ),
    "AWS::AutoScaling::LifecycleHook": (
        {"AutoScalingGroupName": "asg",
         "LifecycleTransition": "autoscaling:EC2_INSTANCE_TERMINATING"},
        NAME, {},
    ),
    "AWS::CloudWatch::Alarm": (
        {"AlarmName": "high-cpu"}, r"high-cpu", {"Arn": ARN + r"alarm:high-cpu"},
    ),
    "AWS::CodeBuild::Project": (
        {}, NAME, {"Arn": ARN + rf"project/{NAME}", "Id": ARN + rf"project/{NAME}"},
    ),
    "AWS::CodePipeline::Pipeline": (
        {"Name": "ship"}, r"ship", {"Version": "1", "Arn": ARN + "ship"},
    ),
    "AWS::CodeStarConnections::Connection": (
        {"ConnectionName": "github", "ProviderType": "GitHub"},
        ARN + r"connection/[0-9a-f-]{36}",
        {"ConnectionArn": ARN + r"connection/[0-9a-f-]{36}", "ConnectionStatus": "PENDING",
         "OwnerAccountId": DEFAULT_ACCOUNT},
    ),
    "AWS::EC2::SecurityGroupEgress": (
        {"GroupId": "sg-1", "IpProtocol": "-1", "CidrIp": "0.0.0.0/0"},
        r"sgr-[0-9a-f]{17}", {"Id": r"sgr-[0-9a-f]{17}"},
    ),
    "AWS::KinesisFirehose::DeliveryStream": (
        {}, NAME, {"Arn": ARN + rf"deliverystream/{NAME}"},
    ),
    "AWS::Lambda::Permission": None,  # type: ignore[dict-item]  # fallback only, see below
    "AWS::RDS::DBCluster": (
        {"Engine": "aurora-postgresql"},
        r"[a-z0-9-]+-thing-[a-z0-9]{12}",
        {"Endpoint.Address": rf"[a-z0-9-]+\.cluster-[a-z0-9]{{12}}\.{REGION}\.rds\.amazonaws\.com",
         "Endpoint.Port": "5432",
         "ReadEndpoint.Address":
             rf"[a-z0-9-]+\.cluster-ro-[a-z0-9]{{12}}\.{REGION}\.rds\.amazonaws\.com",
         "DBClusterArn": ARN + r"cluster:[a-z0-9-]+",
         "DBClusterResourceId": r"cluster-[A-Z0-9]{26}",
         "MasterUserSecret.SecretArn": ARN + r"secret:rds!cluster-[0-9a-f-]{36}-[A-Za-z0-9]{6}"},
    ),
    "AWS::S3::BucketPolicy": ({"Bucket": "b", "PolicyDocument": {}}, NAME, {}),
    "AWS::SecretsManager::Secret": (
        {"Name": "db-password"},
        ARN + r"secret:db-password-[A-Za-z0-9]{6}",
        {"Id": ARN + r"secret:db-password-[A-Za-z0-9]{6}"},
    ),
    "AWS::Serverless::Api": (
        {"StageName": "prod"}, r"[a-z0-9]{10}", {"RootResourceId": r"[0-9a-f]{8}"},
    ),
    "AWS::Serverless::Function": (
        {"FunctionName": "ping", "Role": "arn:aws:iam::1:role/r"},
        r"ping", {"Arn": ARN + "function:ping"},
    ),
    "AWS::Serverless::HttpApi": (
        {}, r"[a-z0-9]{10}",
        {"ApiId": r"[a-z0-9]{10}",
         "ApiEndpoint": rf"https://[a-z0-9]{{10}}\.execute-api\.{REGION}\.amazonaws\.com"},
    ),
    "AWS::Serverless::SimpleTable": (
        {"TableName": "items"}, r"items", {"Arn": ARN + "table/items"},
    ),
    "AWS::ServiceDiscovery::HttpNamespace": (
        {"Name": "apps"}, r"ns-[a-z0-9]{16}",
        {"Id": r"ns-[a-z0-9]{16}", "Arn": ARN + r"namespace/ns-[a-z0-9]{16}"},
    ),
    "AWS::ServiceDiscovery::PrivateDnsNamespace": (
        {"Name": "example.local", "Vpc": "vpc-1"}, r"ns-[a-z0-9]{16}",
        {"Id": r"ns-[a-z0-9]{16}", "Arn": ARN + r"namespace/ns-[a-z0-9]{16}",
         "HostedZoneId": r"Z[A-Z0-9]{20}"},
    ),
    "AWS::ServiceDiscovery::PublicDnsNamespace": (
        {"Name": "example.com"}, r"ns-[a-z0-9]{16}",
        {"Id": r"ns-[a-z0-9]{16}", "Arn": ARN + r"namespace/ns-[a-z0-9]{16}",
         "HostedZoneId": r"Z[A-Z0-9]{20}"},
    ),
    "AWS::ServiceDiscovery::Service": (
        {"Name": "backend"}, r"srv-[a-z0-9]{16}",
        {"Id": r"srv-[a-z0-9]{16}", "Arn": ARN + r"service/srv-[a-z0-9]{16}", "Name": "backend"},
    ),
    "AWS::SNS::Subscription": (
        {"TopicArn": f"arn:aws:sns:{REGION}:{DEFAULT_ACCOUNT}:alerts", "Protocol": "sqs",
         "Endpoint": "arn:aws:sqs:us-west-2:1:q"},
        ARN + r"alerts:[0-9a-f-]{36}", {"Arn": ARN + r"alerts:[0-9a-f-]{36}"},
    ),
    "AWS::SNS::TopicPolicy": ({"Topics": ["t"], "PolicyDocument": {}}, NAME, {"Id": NAME}),
    "AWS::SQS::QueuePolicy": ({"Queues": ["q"], "PolicyDocument": {}}, NAME, {"Id": NAME}),
}  # fmt: skip
ALWAYS = sorted(kind.type_name for kind in SIMULATED_TYPES if not kind.fallback)


def test_every_catalogued_type_has_expected_formats() -> None:
    assert sorted(EXPECTED) == sorted(CATALOG)


def _thing(resource_type: str, properties: dict[str, Any]) -> str:
    attributes = CATALOG[resource_type].attributes
    outputs: dict[str, Any] = {"Ref": {"Value": {"Ref": "Thing"}}}
    for attribute in attributes:
        key = attribute.replace(".", "")
        outputs[key] = {"Value": {"Fn::GetAtt": ["Thing", attribute]}}
    return template({"Thing": {"Type": resource_type, "Properties": properties}}, outputs)


@pytest.mark.parametrize("resource_type", ALWAYS)
def test_simulated_type_gives_ref_and_attributes_in_aws_formats(
    cfn: Any, names: Names, resource_type: str
) -> None:
    properties, ref, attributes = EXPECTED[resource_type]
    name = names("sim")
    cfn.create_stack(StackName=name, TemplateBody=_thing(resource_type, properties),
                     Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"])  # fmt: skip
    stack = stack_of(cfn, name)
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    outputs = outputs_of(stack)
    assert re.fullmatch(ref, outputs.pop("Ref")), resource_type
    for attribute, pattern in attributes.items():
        value = outputs[attribute.replace(".", "")]
        assert re.fullmatch(pattern, value), f"{resource_type}.{attribute} = {value}"
    [resource] = cfn.describe_stack_resources(StackName=name)["StackResources"]
    assert resource["ResourceStatusReason"].startswith(SIMULATED_REASON_PREFIX)
    assert resource_type in resource["ResourceStatusReason"]


def test_simulated_resource_has_its_own_events_marked_simulated(cfn: Any, names: Names) -> None:
    name = names("alarm")
    cfn.create_stack(StackName=name, TemplateBody=_thing("AWS::CloudWatch::Alarm", {}))
    events = resource_events(cfn, name, "Thing")
    assert [status for status, _ in events] == [
        "CREATE_IN_PROGRESS",
        "CREATE_IN_PROGRESS",
        "CREATE_COMPLETE",
    ]
    assert (events[-1][1] or "").startswith(SIMULATED_REASON_PREFIX)
    [summary] = cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]
    assert summary["ResourceStatusReason"].startswith(SIMULATED_REASON_PREFIX)


def test_admin_endpoint_lists_simulated_resources_per_stack(
    cloud: EmbeddedEmulator, client: Client, account: str, names: Names
) -> None:
    cfn = client("cloudformation", account)
    name = names("mixed")
    body = template(
        {"Alarm": {"Type": "AWS::CloudWatch::Alarm"}, "Topic": {"Type": "AWS::SNS::Topic"}}
    )
    cfn.create_stack(StackName=name, TemplateBody=body)
    listed = admin(cloud, "GET", "simulated", params={"stackName": name}).json()["resources"]
    [alarm] = listed
    physical = cfn.describe_stack_resource(StackName=name, LogicalResourceId="Alarm")[
        "StackResourceDetail"
    ]["PhysicalResourceId"]
    assert alarm == {
        "account": account,
        "region": REGION,
        "stackName": name,
        "stackId": stack_of(cfn, name)["StackId"],
        "logicalResourceId": "Alarm",
        "resourceType": "AWS::CloudWatch::Alarm",
        "physicalResourceId": physical,
        "resourceStatus": "CREATE_COMPLETE",
    }
    elsewhere = admin(
        cloud, "GET", "simulated", params={"stackName": name, "account": "999999999999"}
    )
    assert elsewhere.json()["resources"] == []


def test_in_place_update_keeps_a_simulated_resource_and_a_new_name_replaces_it(
    cfn: Any, names: Names
) -> None:
    name = names("alarm")
    cfn.create_stack(
        StackName=name,
        TemplateBody=_thing("AWS::CloudWatch::Alarm", {"AlarmName": "a", "Threshold": 1}),
    )
    first = outputs_of(stack_of(cfn, name))
    cfn.update_stack(
        StackName=name,
        TemplateBody=_thing("AWS::CloudWatch::Alarm", {"AlarmName": "a", "Threshold": 2}),
    )
    assert outputs_of(stack_of(cfn, name)) == first
    cfn.update_stack(
        StackName=name,
        TemplateBody=_thing("AWS::CloudWatch::Alarm", {"AlarmName": "b", "Threshold": 2}),
    )
    renamed = outputs_of(stack_of(cfn, name))
    assert renamed["Ref"] == "b" and renamed["Arn"].endswith(":alarm:b")
    statuses = [status for status, _ in resource_events(cfn, name, "Thing")]
    assert statuses[-1] == "UPDATE_COMPLETE"


def test_getatt_of_an_attribute_the_type_lacks_is_refused(cfn: Any, names: Names) -> None:
    body = template(
        {"Alarm": {"Type": "AWS::CloudWatch::Alarm"}},
        {"Nope": {"Value": {"Fn::GetAtt": ["Alarm", "Endpoint"]}}},
    )
    with pytest.raises(cfn.exceptions.ClientError, match="Endpoint"):
        cfn.create_stack(StackName=names("alarm"), TemplateBody=body)


def test_permission_for_a_simulated_function_is_simulated_too(cfn: Any, names: Names) -> None:
    name = names("sam")
    body = template(
        {
            "Fn": {"Type": "AWS::Serverless::Function",
                   "Properties": {"Role": "arn:aws:iam::1:role/r", "InlineCode": "x"}},
            "Permission": {"Type": "AWS::Lambda::Permission",
                           "Properties": {"Action": "lambda:InvokeFunction",
                                          "Principal": "apigateway.amazonaws.com",
                                          "FunctionName": {"Ref": "Fn"}}},
        }
    )  # fmt: skip
    cfn.create_stack(StackName=name, TemplateBody=body, Capabilities=["CAPABILITY_AUTO_EXPAND"])
    assert stack_of(cfn, name)["StackStatus"] == "CREATE_COMPLETE"
    reason = cfn.describe_stack_resource(StackName=name, LogicalResourceId="Permission")[
        "StackResourceDetail"
    ]["ResourceStatusReason"]
    assert reason == (
        f"{SIMULATED_REASON_PREFIX}: moto 5.2.5 cannot create AWS::Lambda::Permission for the "
        "simulated Fn"
    )


def _types_used(root: Path) -> set[str]:
    used: set[str] = set()
    for path in root.rglob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        used.update(re.findall(r"Type:\s*['\"]?(AWS::[A-Za-z0-9]+::[A-Za-z0-9]+)\b", text))
    return used


@pytest.mark.corpus
@pytest.mark.parametrize("root", [CORPUS, EXAMPLE_REPO], ids=["proton-corpus", "example-repo"])
def test_every_type_the_templates_use_is_emulated_or_simulated(root: Path) -> None:
    from moto.cloudformation import parsing

    from tests.conftest import require_shared

    require_shared(root)
    uncovered = sorted(
        resource_type
        for resource_type in _types_used(root)
        if parsing.resource_class_from_type(resource_type) is None
    )
    assert uncovered == [], "neither emulated by moto nor simulated"
