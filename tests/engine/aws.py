"""Looking at the emulated cloud the way an operator would: boto3 through an assumed role.

The engine's own view (``AwsCloud``) is what is under test, so the tests check its work
with plain boto3 clients, acting in one account at a time through STS AssumeRole, as a
person with that account's role would.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import boto3
import httpx

REGION = "us-west-2"
# The emulator accepts any key; these are the conventional test ones.
STATIC_KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
ROLE = "arn:aws:iam::{account}:role/goldenpath-deployer"
# Stack-level statuses that mark the start of an operation.
STARTS = ("CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS", "DELETE_IN_PROGRESS")
# A stack that is gone for good.
DELETED = "DELETE_COMPLETE"


@dataclass(frozen=True)
class Aws:
    """boto3 clients against one emulator endpoint, per account."""

    url: str

    def client(self, service: str, account: str | None = None) -> Any:
        credentials: dict[str, str] = dict(STATIC_KEYS)
        if account is not None:
            sts = boto3.session.Session().client(
                "sts", endpoint_url=self.url, region_name=REGION, **STATIC_KEYS
            )
            answer = sts.assume_role(
                RoleArn=ROLE.format(account=account), RoleSessionName="engine-tests"
            )["Credentials"]
            credentials = {
                "aws_access_key_id": answer["AccessKeyId"],
                "aws_secret_access_key": answer["SecretAccessKey"],
                "aws_session_token": answer["SessionToken"],
            }
        return boto3.session.Session().client(
            service, endpoint_url=self.url, region_name=REGION, **credentials
        )

    def stacks(self, account: str | None) -> dict[str, dict[str, Any]]:
        """The account's stacks that exist (not DELETE_COMPLETE), by name."""
        cfn = self.client("cloudformation", account)
        found: dict[str, dict[str, Any]] = {}
        for page in cfn.get_paginator("describe_stacks").paginate():
            for stack in page["Stacks"]:
                if stack["StackStatus"] != DELETED:
                    found[stack["StackName"]] = stack
        return found

    def stack_names_ever(self, account: str) -> list[str]:
        """Every stack the account ever had, one entry per stack id (deleted ones too)."""
        cfn = self.client("cloudformation", account)
        names: list[str] = []
        for page in cfn.get_paginator("list_stacks").paginate():
            names.extend(s["StackName"] for s in page["StackSummaries"])
        return names

    def template(self, account: str, stack: str) -> str:
        cfn = self.client("cloudformation", account)
        body = cfn.get_template(StackName=stack)["TemplateBody"]
        # boto3 hands back a JSON body already parsed.
        return body if isinstance(body, str) else json.dumps(body, indent=1)

    def events(self, account: str, stack: str) -> list[dict[str, Any]]:
        cfn = self.client("cloudformation", account)
        events: list[dict[str, Any]] = []
        for page in cfn.get_paginator("describe_stack_events").paginate(StackName=stack):
            events.extend(page["StackEvents"])
        return events

    def stack_operations(self, account: str, stack: str) -> list[str]:
        """The stack-level ``*_IN_PROGRESS`` statuses it went through, oldest first."""
        return [
            e["ResourceStatus"]
            for e in reversed(self.events(account, stack))
            if e["LogicalResourceId"] == stack and e["ResourceStatus"] in STARTS
        ]

    def add_fault(self, fault: dict[str, Any]) -> str:
        """Inject a failure or a delay (``POST /_goldenpath/faults``); returns its id."""
        answer = httpx.post(f"{self.url}/_goldenpath/faults", json=fault)
        answer.raise_for_status()
        added: list[dict[str, Any]] = answer.json()["faults"]
        return str(added[0]["id"])

    def clear_faults(self) -> None:
        httpx.delete(f"{self.url}/_goldenpath/faults").raise_for_status()
