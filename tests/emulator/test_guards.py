"""What CloudFormation enforces and moto does not, refused with AWS's own words."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from emulator.stacks.guards import TEMPLATE_BODY_LIMIT
from tests.emulator.conftest import Client
from tests.emulator.probes import outputs_of, stack_of, template

Names = Callable[[str], str]

TOPIC = template({"Topic": {"Type": "AWS::SNS::Topic"}})
ROLE: dict[str, Any] = {
    "Type": "AWS::IAM::Role",
    "Properties": {
        "AssumeRolePolicyDocument": {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ]
        }
    },
}


def _exporter(export: str) -> str:
    return template(
        {"Topic": {"Type": "AWS::SNS::Topic"}},
        {"TopicArn": {"Value": {"Ref": "Topic"}, "Export": {"Name": export}}},
    )


def _importer(export: str) -> str:
    return template(
        {
            "Queue": {
                "Type": "AWS::SQS::Queue",
                "Properties": {"Tags": [{"Key": "topic", "Value": {"Fn::ImportValue": export}}]},
            }
        },
        {"Imported": {"Value": {"Fn::ImportValue": export}}},
    )


def test_deleting_a_stack_whose_export_is_imported_fails(
    client: Client, account: str, names: Names
) -> None:
    cfn = client("cloudformation", account)
    exporter, importer, export = names("network"), names("app"), names("topic-arn")
    cfn.create_stack(StackName=exporter, TemplateBody=_exporter(export))
    cfn.create_stack(StackName=importer, TemplateBody=_importer(export))
    topic_arn = outputs_of(stack_of(cfn, exporter))["TopicArn"]
    assert outputs_of(stack_of(cfn, importer)) == {"Imported": topic_arn}
    cfn.delete_stack(StackName=exporter)
    stack = stack_of(cfn, exporter)
    assert stack["StackStatus"] == "DELETE_FAILED"
    assert stack["StackStatusReason"] == (
        f"Export {export} cannot be deleted as it is in use by {importer}"
    )
    assert client("sns", account).list_topics()["Topics"] == [{"TopicArn": topic_arn}]
    cfn.delete_stack(StackName=importer)
    cfn.delete_stack(StackName=exporter)
    assert stack_of(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    assert cfn.list_exports()["Exports"] == []


def test_removing_an_export_in_use_fails_the_update(
    client: Client, account: str, names: Names
) -> None:
    cfn = client("cloudformation", account)
    exporter, importer, export = names("network"), names("app"), names("topic-arn")
    cfn.create_stack(StackName=exporter, TemplateBody=_exporter(export))
    cfn.create_stack(StackName=importer, TemplateBody=_importer(export))
    cfn.update_stack(StackName=exporter, TemplateBody=TOPIC)
    stack = stack_of(cfn, exporter)
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    reasons = [
        e.get("ResourceStatusReason")
        for e in cfn.describe_stack_events(StackName=exporter)["StackEvents"]
        if e["ResourceStatus"] == "UPDATE_ROLLBACK_IN_PROGRESS"
    ]
    assert reasons == [f"Export {export} cannot be deleted as it is in use by {importer}"]
    assert [e["Name"] for e in cfn.list_exports()["Exports"]] == [export]


def test_an_export_name_taken_by_another_stack_fails_the_create(
    client: Client, account: str, names: Names
) -> None:
    cfn = client("cloudformation", account)
    first, second, export = names("first"), names("second"), names("shared")
    cfn.create_stack(StackName=first, TemplateBody=_exporter(export))
    cfn.create_stack(StackName=second, TemplateBody=_exporter(export))
    assert stack_of(cfn, second)["StackStatus"] == "ROLLBACK_COMPLETE"
    reasons = {
        e.get("ResourceStatusReason")
        for e in cfn.describe_stack_events(StackName=second)["StackEvents"]
    }
    assert (
        f"Export with name {export} is already exported by stack {first}. "
        "Rollback requested by user."
    ) in reasons


def test_termination_protection_refuses_delete_until_lifted(cfn: Any, names: Names) -> None:
    name = names("prod")
    cfn.create_stack(StackName=name, TemplateBody=TOPIC, EnableTerminationProtection=True)
    assert stack_of(cfn, name)["EnableTerminationProtection"] is True
    with pytest.raises(
        cfn.exceptions.ClientError,
        match=rf"Stack \[{name}\] cannot be deleted while TerminationProtection is enabled",
    ):
        cfn.delete_stack(StackName=name)
    assert stack_of(cfn, name)["StackStatus"] == "CREATE_COMPLETE"
    cfn.update_termination_protection(StackName=name, EnableTerminationProtection=False)
    stack_id = stack_of(cfn, name)["StackId"]
    cfn.delete_stack(StackName=name)
    assert stack_of(cfn, stack_id)["StackStatus"] == "DELETE_COMPLETE"


def test_iam_resources_need_the_iam_capability(cfn: Any, names: Names) -> None:
    body = template({"Role": ROLE})
    with pytest.raises(
        cfn.exceptions.InsufficientCapabilitiesException, match=r"\[CAPABILITY_IAM\]"
    ):
        cfn.create_stack(StackName=names("iam"), TemplateBody=body)
    cfn.create_stack(StackName=names("iam"), TemplateBody=body, Capabilities=["CAPABILITY_IAM"])


def test_named_iam_resources_need_the_named_iam_capability(cfn: Any, names: Names) -> None:
    named = {**ROLE, "Properties": {**ROLE["Properties"], "RoleName": names("deployer")}}
    with pytest.raises(
        cfn.exceptions.InsufficientCapabilitiesException, match=r"\[CAPABILITY_NAMED_IAM\]"
    ):
        cfn.create_stack(
            StackName=names("iam"),
            TemplateBody=template({"Role": named}),
            Capabilities=["CAPABILITY_IAM"],
        )


def test_a_transform_needs_the_auto_expand_capability(cfn: Any, names: Names) -> None:
    body = (
        '{"Transform": "AWS::Serverless-2016-10-31", "Resources": {"Fn": {"Type": '
        '"AWS::Serverless::Function", "Properties": {"Role": "arn:aws:iam::1:role/r", '
        '"Handler": "a.b", "Runtime": "python3.12", "InlineCode": "x"}}}}'
    )
    with pytest.raises(
        cfn.exceptions.InsufficientCapabilitiesException, match="CAPABILITY_AUTO_EXPAND"
    ):
        cfn.create_stack(StackName=names("sam"), TemplateBody=body)


def test_unknown_resource_type_is_refused_up_front(cfn: Any, names: Names) -> None:
    body = template({"Thing": {"Type": "AWS::Made::Up"}, "Topic": {"Type": "AWS::SNS::Topic"}})
    name = names("unknown")
    with pytest.raises(
        cfn.exceptions.ClientError,
        match=r"Template format error: Unrecognized resource types: \[AWS::Made::Up\]",
    ):
        cfn.create_stack(StackName=name, TemplateBody=body)
    with pytest.raises(cfn.exceptions.ClientError, match="does not exist"):
        cfn.describe_stacks(StackName=name)


def test_reference_to_nothing_is_refused_up_front(cfn: Any, names: Names) -> None:
    body = template(
        {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": {"Ref": "Missing"}}}}
    )
    with pytest.raises(
        cfn.exceptions.ClientError,
        match=r"Unresolved resource dependencies \[Missing\] in the Resources block",
    ):
        cfn.create_stack(StackName=names("dangling"), TemplateBody=body)


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ([], r"Parameters: \[Label\] must have values"),
        (
            [
                {"ParameterKey": "Label", "ParameterValue": "x"},
                {"ParameterKey": "Nope", "ParameterValue": "y"},
            ],
            r"Parameters: \[Nope\] do not exist in the template",
        ),
    ],
    ids=["missing", "unknown"],
)
def test_parameters_must_match_the_template(
    cfn: Any, names: Names, parameters: list[dict[str, str]], message: str
) -> None:
    body = template(
        {"Topic": {"Type": "AWS::SNS::Topic"}}, parameters={"Label": {"Type": "String"}}
    )
    with pytest.raises(cfn.exceptions.ClientError, match=message):
        cfn.create_stack(StackName=names("params"), TemplateBody=body, Parameters=parameters)


def test_template_body_over_the_limit_is_refused(cfn: Any, names: Names) -> None:
    padding = "x" * TEMPLATE_BODY_LIMIT
    body = template({"Topic": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": padding}}})
    with pytest.raises(cfn.exceptions.ClientError, match="less than or equal to 51200"):
        cfn.create_stack(StackName=names("big"), TemplateBody=body)


def test_broken_yaml_is_refused_with_its_position(cfn: Any, names: Names) -> None:
    with pytest.raises(
        cfn.exceptions.ClientError, match=r"YAML not well-formed\. \(line \d+, column \d+\)"
    ):
        cfn.create_stack(
            StackName=names("yaml"), TemplateBody="Resources:\n  Topic:\n    Type: [unclosed\n"
        )


def test_stack_names_follow_the_aws_pattern(cfn: Any) -> None:
    with pytest.raises(cfn.exceptions.ClientError, match="failed to satisfy constraint"):
        cfn.create_stack(StackName="9-starts-with-a-digit", TemplateBody=TOPIC)


def test_a_second_stack_with_the_same_name_is_refused(cfn: Any, names: Names) -> None:
    name = names("twice")
    cfn.create_stack(StackName=name, TemplateBody=TOPIC)
    with pytest.raises(cfn.exceptions.AlreadyExistsException, match=rf"Stack \[{name}\] already"):
        cfn.create_stack(StackName=name, TemplateBody=TOPIC)


def test_deleting_a_stack_that_does_not_exist_succeeds(cfn: Any, names: Names) -> None:
    cfn.delete_stack(StackName=names("never-created"))


def test_a_service_role_of_the_stack_account_is_kept_with_the_stack(
    client: Client, account: str, names: Names
) -> None:
    cfn = client("cloudformation", account)
    name, role = names("component"), f"arn:aws:iam::{account}:role/goldenpath-components"

    cfn.create_stack(StackName=name, TemplateBody=TOPIC, RoleARN=role)

    assert stack_of(cfn, name)["RoleARN"] == role


def test_a_service_role_of_another_account_is_refused(
    client: Client, account: str, names: Names
) -> None:
    cfn = client("cloudformation", account)
    name, role = names("component"), "arn:aws:iam::999999999999:role/goldenpath-components"

    with pytest.raises(cfn.exceptions.ClientError, match=f"Role {role} is invalid or cannot"):
        cfn.create_stack(StackName=name, TemplateBody=TOPIC, RoleARN=role)
    cfn.create_stack(StackName=name, TemplateBody=TOPIC)
    with pytest.raises(cfn.exceptions.ClientError, match="is invalid or cannot be assumed"):
        cfn.update_stack(StackName=name, TemplateBody=_exporter(names("x")), RoleARN=role)
    with pytest.raises(cfn.exceptions.ClientError, match="is invalid or cannot be assumed"):
        cfn.create_change_set(
            StackName=name, ChangeSetName="c1", TemplateBody=_exporter(names("y")), RoleARN=role
        )
