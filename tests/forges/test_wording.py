"""The sentences Goldenpath writes on commits and change requests."""

from __future__ import annotations

import pytest

from reconciler.forges.model import DESCRIPTION_LIMIT, StatusState
from reconciler.forges.wording import (
    APPLY,
    PLAN,
    apply_description,
    apply_status,
    pending,
    plan_description,
    plan_state,
    validate_description,
)


def test_apply_success_counts_applied_and_up_to_date() -> None:
    assert apply_description(12, 40, []) == "12 units applied, 40 up to date"
    assert apply_description(1, 0, []) == "1 unit applied, 0 up to date"


def test_apply_failure_names_failed_units_first() -> None:
    assert apply_description(10, 40, ["service/a/test", "service/b/prod"]) == (
        "2 failed: service/a/test, service/b/prod; 10 units applied, 40 up to date"
    )


def test_many_failures_are_summarised_with_a_count() -> None:
    failed = [f"service/s{i}/prod" for i in range(5)]
    assert apply_description(0, 0, failed).startswith(
        "5 failed: service/s0/prod, service/s1/prod, service/s2/prod and 2 more;"
    )


def test_apply_status_fails_when_any_unit_failed() -> None:
    assert apply_status(3, 1, []).state is StatusState.SUCCESS
    failed = apply_status(3, 1, ["environment/prod"], target_url="http://gp/c/1")
    assert (failed.context, failed.state, failed.target_url) == (
        APPLY,
        StatusState.FAILURE,
        "http://gp/c/1",
    )


def test_status_description_is_cut_to_the_limit() -> None:
    failed = [f"service/{'x' * 60}/{i}" for i in range(3)]
    assert len(apply_status(0, 0, failed).description) == DESCRIPTION_LIMIT


def test_plan_lists_changes_before_unchanged_and_skips_zeros() -> None:
    counts = {"noop": 40, "update": 1, "create": 2, "delete": 0}
    assert plan_description(counts) == "2 to create, 1 to update, 40 unchanged"
    assert plan_description({}) == "no units"


def test_plan_with_unknown_action_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown plan actions \\['replace'\\]"):
        plan_description({"replace": 1})


def test_plan_fails_when_units_are_denied_or_blocked() -> None:
    assert plan_state({"create": 1}) is StatusState.SUCCESS
    assert plan_state({"create": 1, "denied": 1}) is StatusState.FAILURE
    assert plan_state({"blocked": 2}) is StatusState.FAILURE


def test_validate_says_valid_or_counts_problems() -> None:
    assert validate_description([]) == "valid"
    assert validate_description(["services/a.yaml:3 spec.template: unknown"]) == (
        "1 problem: services/a.yaml:3 spec.template: unknown"
    )
    assert validate_description(["a", "b"]).startswith("2 problems: a; b")


def test_pending_status_while_a_check_runs() -> None:
    status = pending(PLAN, "planning")
    assert (status.context, status.state, status.description) == (
        PLAN,
        StatusState.PENDING,
        "planning",
    )


def test_apply_status_is_pending_while_terraform_units_wait_for_notifications() -> None:
    waiting = apply_status(1, 4, [], waiting=2)
    assert waiting.state is StatusState.PENDING
    assert waiting.description == "1 unit applied, 4 up to date, 2 waiting for Terraform"
    assert apply_status(1, 4, ["environment/dev"], waiting=2).state is StatusState.FAILURE
