"""Assuming a role into an account sees only that account's stacks, as in AWS."""

from __future__ import annotations

from collections.abc import Callable

from tests.emulator.conftest import REGION, Client
from tests.emulator.probes import stack_of, template

TEST_ACCOUNT = "444444444401"
PROD_ACCOUNT = "444444444402"


def _exporting(value: str) -> str:
    return template(
        {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": value}}},
        {"Env": {"Value": value, "Export": {"Name": "environment-name"}}},
    )


def test_assumed_role_acts_in_the_roles_account(client: Client) -> None:
    identity = client("sts", TEST_ACCOUNT).get_caller_identity()
    assert identity["Account"] == TEST_ACCOUNT
    assert ":assumed-role/goldenpath-deployer/" in identity["Arn"]


def test_two_accounts_keep_same_named_stacks_and_exports_apart(
    client: Client, names: Callable[[str], str]
) -> None:
    name = names("env")
    test, prod = client("cloudformation", TEST_ACCOUNT), client("cloudformation", PROD_ACCOUNT)
    test.create_stack(StackName=name, TemplateBody=_exporting("test"))
    prod.create_stack(StackName=name, TemplateBody=_exporting("production"))
    test_stack, prod_stack = stack_of(test, name), stack_of(prod, name)
    assert test_stack["StackId"].startswith(f"arn:aws:cloudformation:{REGION}:{TEST_ACCOUNT}:")
    assert prod_stack["StackId"].startswith(f"arn:aws:cloudformation:{REGION}:{PROD_ACCOUNT}:")
    assert test_stack["Outputs"][0]["OutputValue"] == "test"
    assert prod_stack["Outputs"][0]["OutputValue"] == "production"
    assert [e["Value"] for e in test.list_exports()["Exports"]] == ["test"]
    assert [e["Value"] for e in prod.list_exports()["Exports"]] == ["production"]
    test_topics = client("sns", TEST_ACCOUNT).list_topics()["Topics"]
    assert all(f":{TEST_ACCOUNT}:" in topic["TopicArn"] for topic in test_topics)


def test_another_account_cannot_see_or_delete_a_stack(
    client: Client, names: Callable[[str], str]
) -> None:
    name = names("private")
    owner, other = client("cloudformation", TEST_ACCOUNT), client("cloudformation", PROD_ACCOUNT)
    owner.create_stack(
        StackName=name, TemplateBody=template({"Topic": {"Type": "AWS::SNS::Topic"}})
    )
    listed = {summary["StackName"] for summary in other.list_stacks()["StackSummaries"]}
    assert name not in listed
    other.delete_stack(StackName=name)  # a no-op there: that account has no such stack
    assert stack_of(owner, name)["StackStatus"] == "CREATE_COMPLETE"
