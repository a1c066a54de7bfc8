"""drift.found goes to the notification outbox with the finding, once per finding."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from reconciler.notifications.outbox import Outbox
from tests.drift.conftest import DETECTION_SLACK, INTERVAL, MakeWorld

WEB = "service/web/test"
# goldenpath.yaml's spec.drift, followed by a notification target (same indentation).
WITH_TARGET = (
    "{interval: 10m}\n  notifications:\n"
    "    - {name: ops-slack, format: slack, urlFrom: DRIFT_SLACK_URL, events: [drift.found]}"
)


def test_a_new_finding_is_queued_once_and_a_check_that_sees_it_again_queues_nothing(
    world: MakeWorld,
) -> None:
    made = world(WITH_TARGET)
    made.update_by_hand(WEB, "DelaySeconds: 1", "DelaySeconds: 7")

    made.run(INTERVAL + DETECTION_SLACK)
    made.run(INTERVAL)  # the same drift, seen again

    (row,) = Outbox(made.store).listing()
    finding = made.store.drift(WEB)
    assert finding is not None
    assert (row.kind, row.target, row.payload["unit"]) == ("drift.found", "ops-slack", WEB)
    assert row.payload["data"]["finding"] == finding.id
    assert row.payload["data"]["reason"] == "TemplateChanged"
    assert row.payload["data"]["action"] == "reported"
    assert row.payload["summary"].startswith(f"{WEB} drifted (TemplateChanged)")


def test_without_a_target_for_drift_nothing_is_queued(world: MakeWorld) -> None:
    made = world("{interval: 10m}")
    made.update_by_hand(WEB, "DelaySeconds: 1", "DelaySeconds: 7")

    made.run(INTERVAL + DETECTION_SLACK)

    assert made.store.drift(WEB) is not None
    assert Outbox(made.store).listing() == []


def test_the_loop_tells_of_an_exception_entering_a_window_once_per_target(
    world: MakeWorld,
) -> None:
    expires = (datetime.now(UTC) + timedelta(days=5)).date().isoformat()
    made = world(
        "{interval: off}\n  guardrails:\n    exceptions:\n"
        f"      - {{rule: s3_encrypted, units: ['service/legacy-*/*'], reason: legacy, "
        f"expires: '{expires}'}}\n"
        "  notifications:\n"
        "    - {name: ops-slack, format: slack, urlFrom: DRIFT_SLACK_URL,"
        " events: [exception.expiring], expiringWithin: 7d}\n"
        "    - {name: late, format: slack, urlFrom: DRIFT_SLACK_URL,"
        " events: [exception.expiring], expiringWithin: 2d}"
    )

    made.loop.tell_expiring()  # the hourly look, again after the start's reconcile

    rows = Outbox(made.store).listing()
    assert [(n.kind, n.target) for n in rows] == [("exception.expiring", "ops-slack")]
    assert rows[0].payload["data"]["expires"] == expires
    assert rows[0].payload["data"]["where"] == "goldenpath.yaml:10"


def test_the_loop_says_when_goldenpath_yaml_changes_its_targets_and_only_then(
    world: MakeWorld,
) -> None:
    made = world("{interval: off}")
    seen: list[tuple[str, ...]] = []
    made.loop.targets_changed = lambda p: seen.append(tuple(t.name for t in p.notifications))
    text = (made.repo.root / "goldenpath.yaml").read_text()
    made.repo.write(
        "goldenpath.yaml",
        text.rstrip("\n") + "\n  notifications:\n"
        "    - {name: ops-slack, format: slack, urlFrom: DRIFT_SLACK_URL,\n"
        "       events: [deploy.failed]}\n",
    )
    made.repo.commit("a notification target")

    made.loop.reconcile("push")
    made.repo.write("README.md", "no change to goldenpath.yaml\n")
    made.repo.commit("docs")
    made.loop.reconcile("push")

    assert seen == [("ops-slack",)]
