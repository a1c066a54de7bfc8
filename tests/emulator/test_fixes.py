"""Each moto fix: with it the template works; without it stock moto still shows the bug.

The second test of each pair switches its fix off (``disabled``) and asserts the bug as
measured in moto 5.2.5. When a moto upgrade fixes the bug, that test fails and says the
fix is no longer needed, so the patch can go.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from emulator.fixes import FIXES, MOTO_VERSION, disabled, fix_enabled
from emulator.server import EmbeddedEmulator
from tests.emulator.conftest import Client
from tests.emulator.probes import admin, outputs_of, stack_of, template

Names = Callable[[str], str]

VPC = {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}}


def no_longer_needed(fix: str, symptom: bool, what: str) -> None:
    """Assert stock moto still shows a bug; otherwise say the fix can go."""
    assert symptom, (
        f"fix {fix} is no longer needed: moto (pinned {MOTO_VERSION}) no longer {what}; "
        f"remove emulator/fixes module and its registry entry"
    )


def failure_reasons(cfn: Any, name: str) -> str:
    events = cfn.describe_stack_events(StackName=name)["StackEvents"]
    return " | ".join(
        str(event.get("ResourceStatusReason"))
        for event in events
        if event["ResourceStatus"].endswith("FAILED")
    )


def create(cfn: Any, name: str, body: str, **kwargs: Any) -> dict[str, Any]:
    cfn.create_stack(StackName=name, TemplateBody=body, **kwargs)
    return stack_of(cfn, name)


def test_every_fix_is_registered_once_and_enabled_by_default() -> None:
    names = [fix.name for fix in FIXES]
    assert len(names) == len(set(names))
    assert all(fix_enabled(name) for name in names)
    assert all(fix.moto_version == MOTO_VERSION for fix in FIXES)


def test_disabling_an_unknown_fix_is_refused() -> None:
    with pytest.raises(KeyError, match="unknown fix"), disabled("no-such-fix"):
        pass


def test_fixes_endpoint_lists_the_registry(cloud: EmbeddedEmulator) -> None:
    listed = admin(cloud, "GET", "fixes").json()["fixes"]
    assert [entry["name"] for entry in listed] == [fix.name for fix in FIXES]
    with disabled("ecr-auto-name"):
        listed = admin(cloud, "GET", "fixes").json()["fixes"]
    assert {e["name"]: e["enabled"] for e in listed}["ecr-auto-name"] is False


# ---- getazs-region-ref ------------------------------------------------------------------------

AZ_TEMPLATE = template(
    {
        "Vpc": VPC,
        "Subnet": {
            "Type": "AWS::EC2::Subnet",
            "Properties": {
                "VpcId": {"Ref": "Vpc"},
                "CidrBlock": "10.0.1.0/24",
                "AvailabilityZone": {"Fn::Select": [1, {"Fn::GetAZs": {"Ref": "AWS::Region"}}]},
            },
        },
    },
    {"Zone": {"Value": {"Fn::GetAtt": ["Subnet", "AvailabilityZone"]}}},
)


def test_getazs_of_the_region_ref_lists_the_regions_zones(cfn: Any, names: Names) -> None:
    stack = create(cfn, names("azs"), AZ_TEMPLATE)
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert outputs_of(stack) == {"Zone": "us-west-2b"}


def test_stock_moto_still_mangles_getazs_of_the_region_ref(cfn: Any, names: Names) -> None:
    with disabled("getazs-region-ref"):
        stack = create(cfn, names("azs"), AZ_TEMPLATE)
    reasons = failure_reasons(cfn, stack["StackName"])
    no_longer_needed(
        "getazs-region-ref", "{'Ref': 'AWS::Region'}" in reasons, "mangles Fn::GetAZs of a Ref"
    )


# ---- target-group-double-dash -----------------------------------------------------------------

TARGET_GROUP = template(
    {
        "Vpc": VPC,
        "Group": {
            "Type": "AWS::ElasticLoadBalancingV2::TargetGroup",
            "Properties": {
                "Name": "frontend--test",
                "Port": 80,
                "Protocol": "HTTP",
                "TargetType": "ip",
                "VpcId": {"Ref": "Vpc"},
            },
        },
    },
    {"Arn": {"Value": {"Ref": "Group"}}},
)


def test_target_group_name_with_double_dash_is_kept(
    cfn: Any, client: Client, names: Names, account: str
) -> None:
    cfn = client("cloudformation", account)
    stack = create(cfn, names("tg"), TARGET_GROUP)
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    arn = outputs_of(stack)["Arn"]
    assert ":targetgroup/frontend--test/" in arn
    groups = client("elbv2", account).describe_target_groups(Names=["frontend--test"])
    assert [group["TargetGroupArn"] for group in groups["TargetGroups"]] == [arn]


def test_stock_moto_still_refuses_target_group_names_with_double_dash(
    client: Client, names: Names, account: str
) -> None:
    cfn = client("cloudformation", account)
    with disabled("target-group-double-dash"):
        stack = create(cfn, names("tg"), TARGET_GROUP)
    no_longer_needed(
        "target-group-double-dash",
        stack["StackStatus"] == "ROLLBACK_COMPLETE"
        and "(?!.*--)" in failure_reasons(cfn, stack["StackName"]),
        "refuses target-group names containing --",
    )


# ---- ecr-auto-name ----------------------------------------------------------------------------

ECR = template({"Repo": {"Type": "AWS::ECR::Repository"}}, {"Name": {"Value": {"Ref": "Repo"}}})


def test_generated_ecr_repository_name_is_lower_case(
    cfn: Any, client: Client, names: Names
) -> None:
    stack = create(cfn, names("Pipeline"), ECR)
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    name = outputs_of(stack)["Name"]
    assert name == name.lower() and name.startswith(stack["StackName"].lower() + "-repo-")
    found = client("ecr").describe_repositories(repositoryNames=[name])["repositories"]
    assert [repo["repositoryName"] for repo in found] == [name]


def test_stock_moto_still_generates_ecr_names_it_refuses(cfn: Any, names: Names) -> None:
    with disabled("ecr-auto-name"):
        stack = create(cfn, names("Pipeline"), ECR)
    no_longer_needed(
        "ecr-auto-name",
        stack["StackStatus"] == "ROLLBACK_COMPLETE",
        "generates upper-case ECR repository names",
    )


# ---- ingress-without-ports --------------------------------------------------------------------

OPEN_GROUP = template(
    {
        "Vpc": VPC,
        "Group": {
            "Type": "AWS::EC2::SecurityGroup",
            "Properties": {
                "GroupDescription": "load balancer",
                "VpcId": {"Ref": "Vpc"},
                "SecurityGroupIngress": [{"CidrIp": "0.0.0.0/0", "IpProtocol": -1}],
            },
        },
    },
    {"Id": {"Value": {"Ref": "Group"}}},
)


def test_ingress_rule_without_ports_allows_all_ports(
    cfn: Any, client: Client, names: Names
) -> None:
    stack = create(cfn, names("sg"), OPEN_GROUP)
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    [group] = client("ec2").describe_security_groups(GroupIds=[outputs_of(stack)["Id"]])[
        "SecurityGroups"
    ]
    [rule] = group["IpPermissions"]
    assert rule["IpProtocol"] == "-1"
    assert rule["IpRanges"][0]["CidrIp"] == "0.0.0.0/0"


def test_stock_moto_still_needs_from_port_on_ingress_rules(cfn: Any, names: Names) -> None:
    with disabled("ingress-without-ports"):
        stack = create(cfn, names("sg"), OPEN_GROUP)
    no_longer_needed(
        "ingress-without-ports",
        "KeyError" in failure_reasons(cfn, stack["StackName"]),
        "raises KeyError('FromPort') for an ingress rule without ports",
    )


# ---- unsupported-types ------------------------------------------------------------------------

BUILD_PROJECT = template(
    {
        "Build": {
            "Type": "AWS::CodeBuild::Project",
            "Properties": {
                "Artifacts": {"Type": "NO_ARTIFACTS"},
                "Environment": {
                    "ComputeType": "BUILD_GENERAL1_SMALL",
                    "Image": "aws/codebuild/standard:7.0",
                    "Type": "LINUX_CONTAINER",
                },
                "ServiceRole": "arn:aws:iam::123456789012:role/build",
                "Source": {"Type": "NO_SOURCE", "BuildSpec": "version: 0.2"},
            },
        }
    },
    {"Project": {"Value": {"Ref": "Build"}}},
)


def test_unsupported_type_gets_a_simulated_resource(cfn: Any, names: Names) -> None:
    stack = create(cfn, names("build"), BUILD_PROJECT)
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert outputs_of(stack)["Project"].startswith(stack["StackName"] + "-Build-")


@pytest.mark.filterwarnings("ignore:Tried to parse:UserWarning")
def test_stock_moto_still_drops_unsupported_types_silently(cfn: Any, names: Names) -> None:
    with disabled("unsupported-types"):
        stack = create(cfn, names("build"), BUILD_PROJECT)
    resources = cfn.describe_stack_resources(StackName=stack["StackName"])["StackResources"]
    no_longer_needed(
        "unsupported-types",
        stack["StackStatus"] == "CREATE_COMPLETE" and not resources and not outputs_of(stack),
        "drops resources of types it does not model",
    )


# ---- yaml-dates -------------------------------------------------------------------------------

DATED_POLICY = """
Resources:
  Policy:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Version: 2012-10-17
        Statement:
          - Effect: Allow
            Action: sns:Publish
            Resource: '*'
"""


def test_unquoted_policy_version_stays_a_string(cfn: Any, client: Client, names: Names) -> None:
    stack = create(cfn, names("policy"), DATED_POLICY, Capabilities=["CAPABILITY_IAM"])
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    [resource] = cfn.describe_stack_resources(StackName=stack["StackName"])["StackResources"]
    iam = client("iam")
    version = iam.get_policy(PolicyArn=resource["PhysicalResourceId"])["Policy"]["DefaultVersionId"]
    document = iam.get_policy_version(PolicyArn=resource["PhysicalResourceId"], VersionId=version)[
        "PolicyVersion"
    ]["Document"]
    document = json.loads(document) if isinstance(document, str) else document
    assert document["Version"] == "2012-10-17"


def test_stock_moto_still_reads_unquoted_dates_as_dates(cfn: Any, names: Names) -> None:
    with disabled("yaml-dates"):
        stack = create(cfn, names("policy"), DATED_POLICY, Capabilities=["CAPABILITY_IAM"])
    no_longer_needed(
        "yaml-dates",
        "not JSON serializable" in failure_reasons(cfn, stack["StackName"]),
        "reads unquoted dates in YAML templates as dates",
    )


# ---- getatt-list-form -------------------------------------------------------------------------

LIST_GETATT = """
Resources:
  Topic:
    Type: AWS::SNS::Topic
Outputs:
  Name:
    Value: !GetAtt [Topic, TopicName]
"""


def test_getatt_in_yaml_list_form_resolves(cfn: Any, names: Names) -> None:
    stack = create(cfn, names("topic"), LIST_GETATT)
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert outputs_of(stack)["Name"].startswith(stack["StackName"] + "-Topic-")


def test_stock_moto_still_breaks_getatt_in_yaml_list_form(client: Client, names: Names) -> None:
    cfn = client("cloudformation", retries=0)
    try:
        with disabled("getatt-list-form"):
            stack = create(cfn, names("topic"), LIST_GETATT)
        broken = stack["StackStatus"] != "CREATE_COMPLETE" or "Name" not in outputs_of(stack)
    except (ClientError, BotoCoreError, ResponseParserError):
        broken = True  # stock moto answers an HTTP 500 here
    no_longer_needed("getatt-list-form", broken, "mis-reads !GetAtt [Resource, Attribute]")


# ---- property-types ---------------------------------------------------------------------------

QUOTED_COUNT = template(
    {
        "Cluster": {"Type": "AWS::ECS::Cluster"},
        "Task": {
            "Type": "AWS::ECS::TaskDefinition",
            "Properties": {
                "Family": "web",
                "ContainerDefinitions": [{"Name": "web", "Image": "nginx", "Memory": "512"}],
            },
        },
        "Service": {
            "Type": "AWS::ECS::Service",
            "Properties": {
                "Cluster": {"Ref": "Cluster"},
                "TaskDefinition": {"Ref": "Task"},
                "DesiredCount": "2",
            },
        },
    },
    {"Cluster": {"Value": {"Ref": "Cluster"}}},
)


def test_quoted_numbers_reach_moto_as_numbers(client: Client, names: Names, account: str) -> None:
    cfn = client("cloudformation", account)
    stack = create(cfn, names("ecs"), QUOTED_COUNT)
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    ecs = client("ecs", account)
    cluster = outputs_of(stack)["Cluster"]
    [service_arn] = ecs.list_services(cluster=cluster)["serviceArns"]
    [service] = ecs.describe_services(cluster=cluster, services=[service_arn])["services"]
    assert service["desiredCount"] == 2


def test_stock_moto_still_passes_quoted_numbers_as_strings(
    client: Client, names: Names, account: str
) -> None:
    cfn = client("cloudformation", account)
    with disabled("property-types"):
        stack = create(cfn, names("ecs"), QUOTED_COUNT)
    no_longer_needed(
        "property-types",
        "TypeError" in failure_reasons(cfn, stack["StackName"]),
        "fails on a quoted DesiredCount",
    )


# ---- delete-leaves-resources ------------------------------------------------------------------

ROUTED_VPC = template(
    {
        "Vpc": VPC,
        "Gateway": {"Type": "AWS::EC2::InternetGateway"},
        "Attachment": {
            "Type": "AWS::EC2::VPCGatewayAttachment",
            "Properties": {"VpcId": {"Ref": "Vpc"}, "InternetGatewayId": {"Ref": "Gateway"}},
        },
        "Routes": {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": {"Ref": "Vpc"}}},
    },
    {"Vpc": {"Value": {"Ref": "Vpc"}}},
)


def test_stack_delete_removes_route_tables_and_gateways(
    client: Client, names: Names, account: str
) -> None:
    cfn = client("cloudformation", account)
    stack = create(cfn, names("net"), ROUTED_VPC)
    vpc = outputs_of(stack)["Vpc"]
    cfn.delete_stack(StackName=stack["StackName"])
    assert stack_of(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    ec2 = client("ec2", account)
    assert vpc not in [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]]
    assert ec2.describe_internet_gateways()["InternetGateways"] == []


def test_stock_moto_still_leaves_route_tables_behind(
    client: Client, names: Names, account: str
) -> None:
    cfn = client("cloudformation", account)
    stack = create(cfn, names("net"), ROUTED_VPC)
    with disabled("delete-leaves-resources"):
        cfn.delete_stack(StackName=stack["StackName"])
    deleted = stack_of(cfn, stack["StackId"])
    no_longer_needed(
        "delete-leaves-resources",
        deleted["StackStatus"] == "DELETE_FAILED"
        and "DependencyViolation" in failure_reasons(cfn, stack["StackId"]),
        "leaves route tables behind when it deletes a stack",
    )


# ---- update-keeps-resource --------------------------------------------------------------------


def _log_group(retention: int) -> str:
    return template(
        {"Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": retention}}},
        {"Group": {"Value": {"Ref": "Logs"}}},
    )


def test_updating_a_type_moto_cannot_update_keeps_the_resource(cfn: Any, names: Names) -> None:
    stack = create(cfn, names("logs"), _log_group(7))
    group = outputs_of(stack)["Group"]
    cfn.update_stack(StackName=stack["StackName"], TemplateBody=_log_group(14))
    updated = stack_of(cfn, stack["StackName"])
    assert updated["StackStatus"] == "UPDATE_COMPLETE"
    assert outputs_of(updated) == {"Group": group}


def test_stock_moto_still_loses_resources_it_cannot_update(cfn: Any, names: Names) -> None:
    stack = create(cfn, names("logs"), _log_group(7))
    group = outputs_of(stack)["Group"]
    with disabled("update-keeps-resource"):
        cfn.update_stack(StackName=stack["StackName"], TemplateBody=_log_group(14))
    updated = stack_of(cfn, stack["StackName"])
    no_longer_needed(
        "update-keeps-resource",
        outputs_of(updated).get("Group") != group,
        "replaces a resource it cannot update with None",
    )


# ---- noop-update ------------------------------------------------------------------------------

NUMBERED = template(
    {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": {"Ref": "Port"}}}},
    parameters={"Port": {"Type": "Number", "Default": 80}},
)


def test_unchanged_update_with_a_number_parameter_is_refused(cfn: Any, names: Names) -> None:
    name = names("numbers")
    create(cfn, name, NUMBERED, Parameters=[{"ParameterKey": "Port", "ParameterValue": "80"}])
    with pytest.raises(cfn.exceptions.ClientError, match=r"No updates are to be performed\."):
        cfn.update_stack(
            StackName=name,
            TemplateBody=NUMBERED,
            Parameters=[{"ParameterKey": "Port", "ParameterValue": "80"}],
        )
    assert stack_of(cfn, name)["StackStatus"] == "CREATE_COMPLETE"


def test_unchanged_update_without_parameters_is_refused(cfn: Any, names: Names) -> None:
    name = names("numbers")
    create(cfn, name, NUMBERED)
    with pytest.raises(cfn.exceptions.ClientError, match=r"No updates are to be performed\."):
        cfn.update_stack(StackName=name, TemplateBody=NUMBERED)


def test_unchanged_update_of_a_resource_without_properties_is_refused(
    cfn: Any, names: Names
) -> None:
    name = names("bare")
    create(cfn, name, BARE_TOPIC)
    with pytest.raises(cfn.exceptions.ClientError, match=r"No updates are to be performed\."):
        cfn.update_stack(StackName=name, TemplateBody=BARE_TOPIC)


def test_stock_moto_still_performs_unchanged_updates(cfn: Any, names: Names) -> None:
    name = names("numbers")
    create(cfn, name, NUMBERED, Parameters=[{"ParameterKey": "Port", "ParameterValue": "80"}])
    with disabled("noop-update"):
        cfn.update_stack(
            StackName=name,
            TemplateBody=NUMBERED,
            Parameters=[{"ParameterKey": "Port", "ParameterValue": "80"}],
        )
    no_longer_needed(
        "noop-update",
        stack_of(cfn, name)["StackStatus"] == "UPDATE_COMPLETE",
        "performs an update that changes nothing",
    )


# ---- getatt-unimplemented ---------------------------------------------------------------------

ZONE_ATTRIBUTE = template(
    {
        "Vpc": VPC,
        "Subnet": {
            "Type": "AWS::EC2::Subnet",
            "Properties": {
                "VpcId": {"Ref": "Vpc"},
                "CidrBlock": "10.0.1.0/24",
                "AvailabilityZone": "us-west-2c",
            },
        },
    },
    {"Zone": {"Value": {"Fn::GetAtt": ["Subnet", "AvailabilityZone"]}}},
)


def test_attribute_moto_does_not_implement_is_read_from_the_model(cfn: Any, names: Names) -> None:
    stack = create(cfn, names("zone"), ZONE_ATTRIBUTE)
    assert outputs_of(stack) == {"Zone": "us-west-2c"}


def test_stock_moto_still_leaks_unimplemented_attributes(cfn: Any, names: Names) -> None:
    with disabled("getatt-unimplemented"):
        stack = create(cfn, names("zone"), ZONE_ATTRIBUTE)
    no_longer_needed(
        "getatt-unimplemented",
        "Fn::GetAtt" in outputs_of(stack).get("Zone", ""),
        "leaks an unresolved Fn::GetAtt for an attribute it does not implement",
    )


def test_nested_stack_outputs_are_readable_with_getatt(
    cfn: Any, client: Client, names: Names
) -> None:
    s3 = client("s3")
    bucket = names("templates")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    child = template({"Topic": {"Type": "AWS::SNS::Topic"}}, {"Arn": {"Value": {"Ref": "Topic"}}})
    s3.put_object(Bucket=bucket, Key="child.json", Body=child)
    parent = template(
        {
            "Child": {
                "Type": "AWS::CloudFormation::Stack",
                "Properties": {"TemplateURL": f"https://{bucket}.s3.amazonaws.com/child.json"},
            }
        },
        {"ChildTopic": {"Value": {"Fn::GetAtt": ["Child", "Outputs.Arn"]}}},
    )
    stack = create(cfn, names("parent"), parent)
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert ":sns:us-west-2:" in outputs_of(stack)["ChildTopic"]


# ---- resource-without-properties --------------------------------------------------------------

BARE_TOPIC = template({"Topic": {"Type": "AWS::SNS::Topic"}})
BARE_TOPIC_WITH_OUTPUT = template(
    {"Topic": {"Type": "AWS::SNS::Topic"}}, {"Arn": {"Value": {"Ref": "Topic"}}}
)


def _changed_resources(cfn: Any, name: str) -> list[str]:
    cfn.create_change_set(
        StackName=name, ChangeSetName="outputs", TemplateBody=BARE_TOPIC_WITH_OUTPUT
    )
    cfn.execute_change_set(StackName=name, ChangeSetName="outputs")
    events = cfn.describe_stack_events(StackName=name)["StackEvents"]
    return [e["LogicalResourceId"] for e in events if e["ResourceStatus"] == "UPDATE_IN_PROGRESS"]


def test_resource_without_properties_is_not_changed_by_an_output_change(
    cfn: Any, names: Names
) -> None:
    name = names("bare")
    create(cfn, name, BARE_TOPIC)
    assert _changed_resources(cfn, name) == [name]  # only the stack itself
    assert outputs_of(stack_of(cfn, name))["Arn"].startswith("arn:aws:sns:")


def test_stock_moto_still_sees_resources_without_properties_as_changed(
    cfn: Any, names: Names
) -> None:
    name = names("bare")
    create(cfn, name, BARE_TOPIC)
    with disabled("resource-without-properties"):
        changed = _changed_resources(cfn, name)
    no_longer_needed(
        "resource-without-properties",
        "Topic" in changed,
        "counts a resource without Properties as modified",
    )


def test_every_fix_has_a_stock_moto_canary() -> None:
    here = Path(__file__).parent
    sources = "".join(path.read_text() for path in sorted(here.glob("test_*.py")))
    missing = [fix.name for fix in FIXES if f'disabled("{fix.name}")' not in sources]
    assert missing == []
