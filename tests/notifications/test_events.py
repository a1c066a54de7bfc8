"""The events as values: kinds, stable ids, the expiring-exception window."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import jsonschema
import pytest

from reconciler.notifications import events
from reconciler.notifications.expiring import expiring
from reconciler.specs.model import GuardrailException, Origin
from tests.fakes.receivers import SCHEMA
from tests.notifications.conftest import json_target, platform, slack_target

NOW = datetime(2027, 2, 20, 9, 0, tzinfo=UTC)


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match=r"unknown event kind 'deploy\.exploded'"):
        events.Notice("x", "deploy.exploded", NOW, "boom")  # type: ignore[arg-type]


def test_ids_are_stable_for_the_same_event_and_differ_between_events() -> None:
    a = events.drift_found(3, "service/web/test", "TemplateChanged", "m", "reported", NOW, {})
    b = events.drift_found(3, "service/web/test", "TemplateChanged", "other", "healing", NOW, {})
    c = events.drift_found(4, "service/web/test", "TemplateChanged", "m", "reported", NOW, {})

    assert a.id == b.id != c.id


def test_every_kind_matches_the_published_schema() -> None:
    notices = [
        events.drift_found(
            3,
            "service/web/test",
            "ResourcesDrifted",
            "Queue changed",
            "reported",
            NOW,
            {"resources": []},
        ),
        events.rollout_halted(
            "r1",
            "web-svc",
            "1.0",
            "1.1",
            [(("test",), "succeeded"), (("staging",), "failed")],
            NOW,
            NOW,
        ),
        events.exception_expiring(
            "s3_encrypted",
            ["service/legacy-*/*"],
            "legacy",
            date(2027, 3, 1),
            date(2027, 2, 20),
            "goldenpath.yaml:12",
            NOW,
        ),
        events.update_pr_opened(
            service="web",
            team="storefront",
            forge="github",
            repository="acme/platform",
            number=12,
            url="https://github.com/acme/platform/pull/12",
            template="web-svc",
            to_version="1.3",
            instances=["test", "production"],
            head="abc123",
            now=NOW,
        ),
    ]
    for notice in notices:
        jsonschema.validate(notice.payload("p"), SCHEMA)
    assert notices[1].summary == "rollout of web-svc 1.0 → 1.1 halted: wave staging failed"
    assert notices[2].summary == (
        "the exception to s3_encrypted for service/legacy-*/* ends in 9 days (2027-03-01)"
    )


def _exception(expires: str) -> GuardrailException:
    return GuardrailException(
        "s3_encrypted",
        ("service/legacy-*/*",),
        "legacy bucket",
        expires,
        Origin("goldenpath.yaml", 12, "spec.guardrails.exceptions[0]"),
    )


@pytest.mark.parametrize(
    ("expires", "told"),
    [("2027-03-06", True), ("2027-03-07", False), ("2027-02-20", True), ("2027-02-19", False)],
)
def test_an_exception_is_told_from_the_day_it_enters_the_window_until_its_last_day(
    expires: str, told: bool
) -> None:
    settings = replace(
        platform(slack_target(("exception.expiring",))), guardrail_exceptions=(_exception(expires),)
    )

    found = expiring(settings, date(2027, 2, 20), NOW)

    assert bool(found) is told  # 14 days by default: 2027-03-06 is day 14


def test_each_target_has_its_own_window_and_only_targets_that_asked_hear() -> None:
    early = replace(slack_target(("exception.expiring",)), expiring_within=30 * 86400.0)
    settings = replace(
        platform(
            early,
            json_target(("exception.expiring",), name="ops-json"),
            json_target(name="deploys"),
        ),
        guardrail_exceptions=(_exception("2027-03-15"),),
    )

    found = expiring(settings, date(2027, 2, 20), NOW)

    assert [t.name for t, _n in found] == ["ops-slack"]
    assert found[0][1].data["where"] == "goldenpath.yaml:12"


def test_backoff_doubles_from_the_base_with_jitter_taking_off_at_most_half() -> None:
    import random

    from reconciler.notifications.dispatcher import DispatchSettings

    settings = DispatchSettings()
    rng = random.Random(1)
    for attempts, ceiling in [(1, 5.0), (2, 10.0), (5, 80.0), (8, 600.0), (9, 600.0)]:
        pauses = [settings.backoff(attempts, rng) for _ in range(200)]
        assert all(ceiling / 2 <= p <= ceiling for p in pauses)
        assert max(pauses) - min(pauses) > ceiling / 4  # spread, so replicas do not align
    total = sum(min(600.0, 5.0 * 2 ** (n - 1)) for n in range(1, settings.max_attempts))
    assert total / 2 / 60 > 15 and total / 60 < 31  # dead 15 to 30 minutes after the first
