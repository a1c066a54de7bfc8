"""The unit page's pure parts: which bodies are compared, the diff, the graph's words, the
console link, and hiding secret values."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from reconciler.state import Deployment, DeploymentStatus
from webhooks.unit_details import (
    body_diff,
    console_link,
    deployed_bodies,
    deployment_label,
    diff_line_kind,
    event_kind,
    hidden,
    relation,
)

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
STACK_ID = "arn:aws:cloudformation:us-west-2:111111111111:stack/goldenpath-service-web-test/0b3e"


def _deployment(id_: int, status: DeploymentStatus, digest: str | None) -> Deployment:
    return Deployment(
        id=id_,
        unit_id="service/web/test",
        revision=str(id_) * 40,
        version="1.0",
        status=status,
        started_at=NOW,
        body_digest=digest,
    )


def test_a_failed_deployment_is_compared_with_the_last_applied_one() -> None:
    history = [
        _deployment(4, "FAILED", "sha256:c"),
        _deployment(3, "FAILED", "sha256:b2"),
        _deployment(2, "SUCCEEDED", "sha256:b"),
        _deployment(1, "SUCCEEDED", "sha256:a"),
    ]

    chosen = deployed_bodies(history)

    assert (chosen.latest.id, chosen.previous.id, chosen.applied.id) == (4, 2, 2)  # type: ignore[union-attr]


def test_a_succeeded_deployment_is_both_latest_and_applied() -> None:
    chosen = deployed_bodies([_deployment(2, "SUCCEEDED", "b"), _deployment(1, "SUCCEEDED", "a")])

    assert (chosen.latest.id, chosen.previous.id, chosen.applied.id) == (2, 1, 2)  # type: ignore[union-attr]


def test_deployments_without_a_body_are_passed_over() -> None:
    """Deletions, and deployments recorded before bodies were kept, carry none."""
    history = [_deployment(3, "DELETE_COMPLETE", None), _deployment(2, "SUCCEEDED", "b")]

    chosen = deployed_bodies(history)

    assert (chosen.latest.id, chosen.previous, chosen.applied.id) == (2, None, 2)  # type: ignore[union-attr]
    assert deployed_bodies([_deployment(1, "SUCCEEDED", None)]).latest is None
    assert deployed_bodies([]).applied is None


def test_a_first_create_that_failed_has_nothing_applied() -> None:
    chosen = deployed_bodies([_deployment(1, "FAILED", "a")])

    assert (chosen.latest.id, chosen.previous, chosen.applied) == (1, None, None)  # type: ignore[union-attr]


def test_the_diff_is_unified_with_labels_and_context() -> None:
    before = "Resources:\n  Queue:\n    Type: AWS::SQS::Queue\n    Properties:\n      Delay: 1\n"
    after = before.replace("Delay: 1", "Delay: 3") + "  Topic:\n    Type: AWS::SNS::Topic\n"
    old = deployment_label("service/web/test", _deployment(1, "SUCCEEDED", "a"))
    new = deployment_label("service/web/test", _deployment(2, "FAILED", "b"))

    diff = body_diff(before, after, old, new)

    assert diff.splitlines() == [
        "--- service/web/test deployment 1 (1.0, 111111111111, SUCCEEDED)",
        "+++ service/web/test deployment 2 (1.0, 222222222222, FAILED)",
        "@@ -2,4 +2,6 @@",
        "   Queue:",
        "     Type: AWS::SQS::Queue",
        "     Properties:",
        "-      Delay: 1",
        "+      Delay: 3",
        "+  Topic:",
        "+    Type: AWS::SNS::Topic",
    ]
    assert [diff_line_kind(line) for line in diff.splitlines()[:8]] == [
        "file", "file", "hunk", "same", "same", "same", "remove", "add",
    ]  # fmt: skip
    assert body_diff(before, before, old, new) == ""


@pytest.mark.parametrize(
    ("unit", "dependency", "word"),
    [
        ("service/web/test", "environment/test", "environment"),
        ("service/web/test", "service/orders/test", "binds"),
        ("pipeline/orders", "service/orders/test", "deploys"),
        ("component/web/test/cache", "service/web/test", "instance"),
        ("service/web/test", "component/web/test/cache", "component"),
        ("component/web/test/cache", "environment/test", "environment"),
    ],
)
def test_each_tie_between_units_has_its_word(unit: str, dependency: str, word: str) -> None:
    assert relation(unit, dependency) == word


def test_the_console_link_opens_the_stack_in_its_region() -> None:
    link = console_link("eu-central-1", "goldenpath-service-web-test", STACK_ID, None)

    assert link["url"] == (
        "https://eu-central-1.console.aws.amazon.com/cloudformation/home?region=eu-central-1"
        "#/stacks/stackinfo?stackId=arn%3Aaws%3Acloudformation%3Aus-west-2%3A111111111111"
        "%3Astack%2Fgoldenpath-service-web-test%2F0b3e"
    )
    assert link["text"] == "goldenpath-service-web-test in the AWS console (eu-central-1)"


@pytest.mark.parametrize(
    ("region", "start"),
    [
        ("cn-north-1", "https://cn-north-1.console.amazonaws.cn/cloudformation/home?region=cn-"),
        ("us-gov-west-1", "https://console.amazonaws-us-gov.com/cloudformation/home?region=us-"),
        ("us-west-2", "https://us-west-2.console.aws.amazon.com/cloudformation/home?region=us-"),
    ],
)
def test_the_console_host_follows_the_region_s_partition(region: str, start: str) -> None:
    assert console_link(region, "stack", STACK_ID, None)["url"].startswith(start)


def test_a_stack_not_created_yet_is_searched_for_by_name() -> None:
    link = console_link("us-west-2", "goldenpath-service-web-test", None, None)

    assert link["url"].endswith("#/stacks?filteringText=goldenpath-service-web-test")


def test_an_isolated_region_gets_no_link() -> None:
    link = console_link("us-iso-east-1", "stack", STACK_ID, None)

    assert link["url"] is None
    assert "isolated partition" in link["text"]


def test_a_stack_in_the_emulator_says_so_instead_of_linking_aws() -> None:
    link = console_link("us-west-2", "stack", STACK_ID, "http://127.0.0.1:4566")

    assert link["url"] is None
    assert link["emulator"] == "http://127.0.0.1:4566"
    assert "emulator at http://127.0.0.1:4566, not in AWS" in link["text"]


def test_secret_values_are_hidden_longest_first() -> None:
    text = "Password: hunter2-long\nOther: hunter2\nKept: hunter"

    assert hidden(text, ["hunter2", "hunter2-long", ""], "•••") == (
        "Password: •••\nOther: •••\nKept: hunter"
    )


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        ("UPDATE_FAILED", "bad"),
        ("UPDATE_ROLLBACK_COMPLETE", "warn"),
        ("ROLLBACK_IN_PROGRESS", "warn"),
        ("CREATE_COMPLETE", "ok"),
        ("UPDATE_IN_PROGRESS", "run"),
    ],
)
def test_event_statuses_are_coloured_by_outcome(status: str, kind: str) -> None:
    assert event_kind(status) == kind
