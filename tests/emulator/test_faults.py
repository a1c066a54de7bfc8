"""Fault descriptions: what is accepted, what is refused and how, and how faults are used up."""

from __future__ import annotations

import pytest

from emulator.faults import FaultBook, FaultError, parse_fault, parse_faults


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "fault: expected a JSON object, got list"),
        ({}, "fault.kind: required, one of fail, delay"),
        ({"kind": "explode"}, "fault.kind: expected one of fail, delay, got 'explode'"),
        ({"kind": "fail", "stack": "x"}, "fault: unknown field(s) stack; known fields: kind"),
        ({"kind": "delay"}, "fault.seconds: a delay needs the number of seconds to hold"),
        ({"kind": "delay", "seconds": -1}, "fault.seconds: expected 0 to 3600, got -1"),
        ({"kind": "delay", "seconds": "5"}, "fault.seconds: expected a number of seconds, got '5'"),
        ({"kind": "delay", "seconds": 1, "resourceType": "AWS::SNS::Topic"},
         "fault.resourceType: only a fail fault takes resourceType"),
        ({"kind": "fail", "seconds": 1}, "fault.seconds: only a delay fault takes seconds"),
        ({"kind": "fail", "count": 0}, "fault.count: expected a positive whole number, got 0"),
        ({"kind": "fail", "account": "42"}, "fault.account: expected a 12-digit account id"),
        ({"kind": "fail", "stackName": ""}, "fault.stackName: expected a non-empty string"),
        ({"kind": "fail", "rollback": "yes"}, "fault.rollback: expected one of fail, got 'yes'"),
        ({"kind": "fail", "operation": "create", "rollback": "fail"},
         "fault.rollback: only a fail fault with operation update can fail its rollback"),
    ],
)  # fmt: skip
def test_malformed_fault_names_the_field_and_what_was_expected(data: object, message: str) -> None:
    with pytest.raises(FaultError) as raised:
        parse_fault(data)
    assert str(raised.value).startswith(message)


def test_faults_from_the_environment_must_be_json() -> None:
    with pytest.raises(FaultError, match=r"GOLDENPATH_EMULATOR_FAULTS: not valid JSON .* line 1"):
        parse_faults("[{", "GOLDENPATH_EMULATOR_FAULTS")


def test_a_single_fault_object_is_accepted_where_a_list_is() -> None:
    [fault] = parse_faults('{"kind": "fail", "stackName": "web"}', "env")
    assert (fault.kind, fault.stack_name) == ("fail", "web")


def test_delay_is_used_up_when_planned_and_failure_when_fired() -> None:
    book = FaultBook()
    delay = book.add(parse_fault({"kind": "delay", "seconds": 2, "count": 1}))
    failure = book.add(parse_fault({"kind": "fail", "operation": "update", "count": 2}))
    plan = book.plan("123456789012", "us-west-2", "web", "update")
    assert plan.delay_seconds == 2 and plan.failures == (failure,)
    assert [entry["id"] for entry in book.describe()] == [failure.id]
    assert book.plan("123456789012", "us-west-2", "web", "create").failures == ()
    assert book.fire(failure) and book.fire(failure)
    assert not book.fire(failure)
    assert book.describe() == []
    assert delay.id != failure.id


def test_faults_match_stack_account_and_region() -> None:
    book = FaultBook()
    fault = book.add(
        parse_fault(
            {"kind": "fail", "stackName": "web", "account": "111111111111", "region": "eu-west-1"}
        )
    )
    assert book.plan("111111111111", "eu-west-1", "web", "delete").failures == (fault,)
    assert book.plan("222222222222", "eu-west-1", "web", "delete").failures == ()
    assert book.plan("111111111111", "us-east-1", "web", "delete").failures == ()
    assert book.plan("111111111111", "eu-west-1", "api", "delete").failures == ()


def test_resource_faults_match_type_and_logical_id() -> None:
    fault = parse_fault(
        {"kind": "fail", "resourceType": "AWS::EC2::Subnet", "logicalResourceId": "A"}
    )
    assert fault.targets_resources
    assert fault.matches_resource("A", "AWS::EC2::Subnet")
    assert not fault.matches_resource("B", "AWS::EC2::Subnet")
    assert not fault.matches_resource("A", "AWS::EC2::VPC")
