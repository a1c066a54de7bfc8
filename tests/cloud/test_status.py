"""Which stack statuses are done, failed or moving, and how a failure is explained."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from reconciler.cloud import Phase, StackEvent, failure_message, is_terminal, must_recreate, phase

STACK = "svc-web-test"
_T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("CREATE_IN_PROGRESS", Phase.IN_PROGRESS),
        ("CREATE_COMPLETE", Phase.SUCCEEDED),
        ("CREATE_FAILED", Phase.FAILED),
        ("ROLLBACK_IN_PROGRESS", Phase.IN_PROGRESS),
        ("ROLLBACK_COMPLETE", Phase.FAILED),
        ("ROLLBACK_FAILED", Phase.FAILED),
        ("UPDATE_IN_PROGRESS", Phase.IN_PROGRESS),
        ("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", Phase.IN_PROGRESS),
        ("UPDATE_COMPLETE", Phase.SUCCEEDED),
        ("UPDATE_FAILED", Phase.FAILED),
        ("UPDATE_ROLLBACK_IN_PROGRESS", Phase.IN_PROGRESS),
        ("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", Phase.IN_PROGRESS),
        ("UPDATE_ROLLBACK_COMPLETE", Phase.FAILED),
        ("UPDATE_ROLLBACK_FAILED", Phase.FAILED),
        ("DELETE_IN_PROGRESS", Phase.IN_PROGRESS),
        ("DELETE_COMPLETE", Phase.DELETED),
        ("DELETE_FAILED", Phase.FAILED),
        ("IMPORT_COMPLETE", Phase.SUCCEEDED),
        ("IMPORT_ROLLBACK_COMPLETE", Phase.FAILED),
        ("REVIEW_IN_PROGRESS", Phase.FAILED),
    ],
)
def test_each_status_has_its_phase(status: str, expected: Phase) -> None:
    assert phase(status) is expected
    assert is_terminal(status) is (expected is not Phase.IN_PROGRESS)


def test_an_unknown_status_is_read_by_its_suffix() -> None:
    assert phase("MIGRATE_IN_PROGRESS") is Phase.IN_PROGRESS
    assert phase("MIGRATE_FAILED") is Phase.FAILED


def test_a_status_without_a_known_suffix_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown CloudFormation stack status 'SLEEPING'"):
        phase("SLEEPING")


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("ROLLBACK_COMPLETE", True),
        ("CREATE_FAILED", True),
        ("REVIEW_IN_PROGRESS", True),
        ("UPDATE_ROLLBACK_COMPLETE", False),
        ("CREATE_COMPLETE", False),
        ("DELETE_FAILED", False),
    ],
)
def test_only_stacks_whose_create_failed_must_be_recreated(status: str, expected: bool) -> None:
    assert must_recreate(status) is expected


def _events(*rows: tuple[str, str, str, str | None]) -> list[StackEvent]:
    """Events newest first, from (logical id, type, status, reason) rows oldest first."""
    events = [
        StackEvent(
            event_id=f"e{i}",
            stack_name=STACK,
            logical_id=logical,
            physical_id=None,
            resource_type=kind,
            status=status,
            reason=reason,
            timestamp=_T0 + timedelta(seconds=i),
        )
        for i, (logical, kind, status, reason) in enumerate(rows)
    ]
    return list(reversed(events))


_STACK_TYPE = "AWS::CloudFormation::Stack"


def test_failure_message_names_the_first_failed_resource_and_its_reason() -> None:
    events = _events(
        (STACK, _STACK_TYPE, "CREATE_IN_PROGRESS", "User Initiated"),
        ("Queue", "AWS::SQS::Queue", "CREATE_IN_PROGRESS", None),
        ("Bucket", "AWS::S3::Bucket", "CREATE_FAILED", "my-bucket already exists"),
        ("Queue", "AWS::SQS::Queue", "CREATE_FAILED", "Resource creation cancelled"),
        (STACK, _STACK_TYPE, "ROLLBACK_IN_PROGRESS", "The following resource(s) failed"),
        (STACK, _STACK_TYPE, "ROLLBACK_COMPLETE", None),
    )
    assert failure_message(events) == (
        "Bucket (AWS::S3::Bucket) CREATE_FAILED: my-bucket already exists"
    )


def test_failure_message_looks_only_at_the_most_recent_operation() -> None:
    events = _events(
        (STACK, _STACK_TYPE, "CREATE_IN_PROGRESS", "User Initiated"),
        ("Old", "AWS::SNS::Topic", "CREATE_FAILED", "an old failure"),
        (STACK, _STACK_TYPE, "UPDATE_IN_PROGRESS", "User Initiated"),
        ("Role", "AWS::IAM::Role", "UPDATE_FAILED", "Access denied for iam:PassRole"),
        (STACK, _STACK_TYPE, "UPDATE_ROLLBACK_COMPLETE", None),
    )
    assert failure_message(events) == (
        "Role (AWS::IAM::Role) UPDATE_FAILED: Access denied for iam:PassRole"
    )


def test_failure_message_falls_back_to_the_stack_status_reason() -> None:
    events = _events((STACK, _STACK_TYPE, "CREATE_IN_PROGRESS", "User Initiated"))
    assert failure_message(events, "Template format error") == "Template format error"


def test_failure_message_falls_back_to_the_stack_event_reason() -> None:
    events = _events(
        (STACK, _STACK_TYPE, "UPDATE_IN_PROGRESS", "User Initiated"),
        (STACK, _STACK_TYPE, "UPDATE_ROLLBACK_IN_PROGRESS", "Parameter validation failed"),
    )
    assert failure_message(events) == "Parameter validation failed"


def test_failure_message_says_so_when_there_is_no_reason_at_all() -> None:
    assert failure_message([]) == "the stack operation failed; CloudFormation gave no reason"
