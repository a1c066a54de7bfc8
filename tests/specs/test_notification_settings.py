"""``spec.notifications`` of goldenpath.yaml: its values, and clear errors for bad ones."""

from __future__ import annotations

import pytest

from reconciler.notifications import missing_variables
from reconciler.specs.loader import load_specs
from reconciler.specs.model import NotificationTarget, Origin


def _load(targets: str) -> tuple[tuple[NotificationTarget, ...], list[str]]:
    text = (
        "apiVersion: goldenpath.dev/v1\nkind: Platform\nmetadata: {name: p}\nspec:\n"
        f"  region: us-west-2\n  notifications:\n{targets}"
    )
    specs, problems = load_specs({"goldenpath.yaml": text.encode()})
    return specs.platform.notifications, [str(p) for p in problems]


def test_the_design_example_loads() -> None:
    targets, problems = _load(
        "    - {name: ops-slack, format: slack, urlFrom: GOLDENPATH_SLACK_URL,\n"
        "       events: [deploy.failed, rollout.halted, drift.found]}\n"
    )

    assert problems == []
    assert targets == (
        NotificationTarget(
            "ops-slack",
            "slack",
            "GOLDENPATH_SLACK_URL",
            ("deploy.failed", "rollout.halted", "drift.found"),
            origin=Origin("goldenpath.yaml", 7, "spec.notifications[0]"),
        ),
    )


def test_a_signed_target_with_its_window() -> None:
    targets, problems = _load(
        "    - name: audit\n      format: json\n      urlFrom: AUDIT_URL\n"
        "      secretFrom: AUDIT_SECRET\n      events: [exception.expiring]\n"
        "      expiringWithin: 30d\n"
    )

    assert problems == []
    assert (targets[0].secret_from, targets[0].expiring_within) == ("AUDIT_SECRET", 30 * 86400.0)


def test_without_notifications_nobody_is_told() -> None:
    specs, problems = load_specs({})

    assert (specs.platform.notifications, problems) == ((), [])


@pytest.mark.parametrize(
    ("targets", "expected"),
    [
        (
            "    - {name: a, format: slack, urlFrom: A, events: [deploy.faild]}\n",
            "goldenpath.yaml:7 spec.notifications[0].events[0]: 'deploy.faild' is not allowed; "
            "expected one of: 'deploy.succeeded', 'deploy.failed', 'rollout.halted', "
            "'drift.found', 'exception.expiring', 'update_pr.opened'",
        ),
        (
            "    - {name: a, format: teams, urlFrom: A, events: [deploy.failed]}\n",
            "goldenpath.yaml:7 spec.notifications[0].format: 'teams' is not allowed; "
            "expected one of: 'json', 'slack'",
        ),
        (
            "    - {name: a, format: slack, urlFrom: 'https://hooks.slack.com/services/T/B/X',"
            " events: [deploy.failed]}\n",
            "goldenpath.yaml:7 spec.notifications[0].urlFrom: 'https://hooks.slack.com/services/"
            "T/B/X' is not valid; expected the name of an environment variable such as "
            "GOLDENPATH_SLACK_URL (a URL or a secret itself never goes in the repo)",
        ),
        (
            "    - {name: a, format: json, urlFrom: A, events: [deploy.failed]}\n",
            "goldenpath.yaml:7 spec.notifications[0]: target 'a' has format json, which is "
            "signed: expected secretFrom, the environment variable holding the HMAC secret",
        ),
        (
            "    - {name: a, format: slack, urlFrom: A, events: [deploy.failed]}\n"
            "    - {name: a, format: slack, urlFrom: B, events: [drift.found]}\n",
            "goldenpath.yaml:8 spec.notifications[1].name: target 'a' is already defined at "
            "spec.notifications[0] (line 7); expected a name of its own",
        ),
        (
            "    - {name: a, format: slack, urlFrom: A, events: []}\n",
            "goldenpath.yaml:7 spec.notifications[0].events: [] should be non-empty",
        ),
        (
            "    - {name: a, format: slack, urlFrom: A, events: [exception.expiring],"
            " expiringWithin: 90d}\n",
            "goldenpath.yaml:7 spec.notifications[0].expiringWithin: '90d' is out of range; "
            "expected from 1h to 60d",
        ),
        (
            "    - {name: a, format: slack, urlFrom: A, event: [deploy.failed]}\n",
            "goldenpath.yaml:7 spec.notifications[0]",
        ),
    ],
)
def test_bad_settings_say_the_file_line_field_and_what_was_expected(
    targets: str, expected: str
) -> None:
    found, problems = _load(targets)

    assert found == ()
    assert any(p.startswith(expected) for p in problems), problems


def test_a_missing_variable_names_the_target_the_variable_and_the_line() -> None:
    targets, _ = _load(
        "    - {name: ops-slack, format: slack, urlFrom: GOLDENPATH_SLACK_URL,\n"
        "       events: [deploy.failed]}\n"
        "    - {name: audit, format: json, urlFrom: AUDIT_URL, secretFrom: AUDIT_SECRET,\n"
        "       events: [deploy.failed]}\n"
    )

    missing = missing_variables(targets, {"AUDIT_URL": "https://audit.example.com/hook"})

    assert [str(m.problem()) for m in missing] == [
        "goldenpath.yaml:7 spec.notifications[0].urlFrom: notification target 'ops-slack': "
        "environment variable GOLDENPATH_SLACK_URL (urlFrom) is not set; its events wait in "
        "the outbox until a serve with it set sends them",
        "goldenpath.yaml:9 spec.notifications[1].secretFrom: notification target 'audit': "
        "environment variable AUDIT_SECRET (secretFrom) is not set; its events wait in the "
        "outbox until a serve with it set sends them",
    ]
