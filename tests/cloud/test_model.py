"""Targets and stack requests refuse values CloudFormation or safety would reject."""

from __future__ import annotations

import pytest

from reconciler.cloud import StackRequest, Target
from reconciler.cloud.model import check_change_set_name, check_request_token


def test_target_accepts_a_role_in_its_own_account() -> None:
    target = Target("333333333333", "us-west-2", "arn:aws:iam::333333333333:role/deployer")
    assert str(target) == "333333333333/us-west-2"


def test_target_refuses_an_account_id_that_is_not_twelve_digits() -> None:
    with pytest.raises(ValueError, match=r"account id '3333': expected 12 digits"):
        Target("3333", "us-west-2")


def test_target_refuses_a_role_of_another_account() -> None:
    with pytest.raises(ValueError) as caught:
        Target("333333333333", "us-west-2", "arn:aws:iam::111111111111:role/deployer")
    message = str(caught.value)
    assert "belongs to account 111111111111" in message
    assert "target account 333333333333" in message


def test_target_refuses_a_malformed_role_arn() -> None:
    with pytest.raises(ValueError, match=r"expected arn:aws:iam::<account>:role/<name>"):
        Target("333333333333", "us-west-2", "deployer")


def test_target_refuses_an_empty_region() -> None:
    with pytest.raises(ValueError, match="region must not be empty"):
        Target("333333333333", "")


@pytest.mark.parametrize("name", ["", "1stack", "my_stack", "a" * 129, "stack name"])
def test_stack_request_refuses_names_cloudformation_rejects(name: str) -> None:
    with pytest.raises(ValueError, match="expected a letter, then letters, digits or '-'"):
        StackRequest(name=name, body="{}")


def test_stack_request_asks_for_every_capability_by_default() -> None:
    stack = StackRequest(name="env-test", body="{}")
    assert stack.capabilities == (
        "CAPABILITY_IAM",
        "CAPABILITY_NAMED_IAM",
        "CAPABILITY_AUTO_EXPAND",
    )


@pytest.mark.parametrize("value", ["", "-leading-dash", "has space", "x" * 129])
def test_request_tokens_cloudformation_rejects_are_refused(value: str) -> None:
    with pytest.raises(ValueError, match="request token"):
        check_request_token(value)


def test_change_set_names_cloudformation_rejects_are_refused() -> None:
    with pytest.raises(ValueError, match="change set name 'plan_1'"):
        check_change_set_name("plan_1")
