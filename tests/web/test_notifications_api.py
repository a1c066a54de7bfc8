"""GET /api/v1/notifications and the goldenpath_notifications metric: the outbox for
operators, never a URL nor a secret."""

from __future__ import annotations

from datetime import timedelta

from reconciler.notifications.outbox import Outbox
from tests.notifications.conftest import deploy_failed, json_target, queue, slack_target
from tests.web.conftest import Web
from tests.web.test_metrics import samples


def _fill(web: Web) -> None:
    queue(web.store, slack_target(), json_target())
    queue(web.store, slack_target(), notice=deploy_failed(deployment=8))
    outbox = Outbox(web.store)
    first, second, third = outbox.claim(
        "a", timedelta(seconds=60), 10, {"TEST_SLACK_URL", "TEST_JSON_URL", "TEST_JSON_SECRET"}
    )
    outbox.delivered(first)
    outbox.failed(second, "HTTP 500: boom", None)
    outbox.failed(third, "ConnectError: refused", 30.0)


def test_the_newest_rows_come_first_with_their_state_and_counts(web: Web) -> None:
    _fill(web)

    answer = web.client.get("/api/v1/notifications")

    assert answer.status_code == 200
    document = answer.json()
    assert document["counts"] == {"pending": 1, "delivered": 1, "dead": 1}
    rows = document["notifications"]
    assert [(r["id"], r["target"], r["state"], r["attempts"]) for r in rows] == [
        (3, "ops-slack", "pending", 1),
        (2, "ops-json", "dead", 1),
        (1, "ops-slack", "delivered", 1),
    ]
    assert rows[0]["next_attempt_at"] is not None and rows[0]["last_error"].startswith("Connect")
    assert rows[1]["last_error"] == "HTTP 500: boom" and rows[1]["next_attempt_at"] is None
    assert rows[2]["summary"].startswith("service/web/production: update failed")
    assert "TEST_SLACK_URL" not in answer.text and "url" not in rows[0]


def test_a_state_and_a_cursor_narrow_the_list(web: Web) -> None:
    _fill(web)

    dead = web.client.get("/api/v1/notifications?state=dead").json()["notifications"]
    after = web.client.get("/api/v1/notifications?after=1&limit=1").json()["notifications"]

    assert [r["id"] for r in dead] == [2]
    assert [r["id"] for r in after] == [2]


def test_bad_queries_are_400_with_what_was_expected(web: Web) -> None:
    bad_state = web.client.get("/api/v1/notifications?state=lost")
    bad_limit = web.client.get("/api/v1/notifications?limit=0")

    assert bad_state.status_code == 400
    assert bad_state.json()["message"] == (
        "state 'lost' is unknown; expected one of pending, delivered, dead"
    )
    assert bad_limit.status_code == 400
    assert "expected 1 to 1000" in bad_limit.json()["message"]


def test_metrics_count_the_outbox_by_target_and_state(web: Web) -> None:
    _fill(web)

    found = samples(web.client.get("/metrics").text)

    assert found['goldenpath_notifications{target="ops-slack",state="delivered"}'] == 1
    assert found['goldenpath_notifications{target="ops-slack",state="pending"}'] == 1
    assert found['goldenpath_notifications{target="ops-slack",state="dead"}'] == 0
    assert found['goldenpath_notifications{target="ops-json",state="dead"}'] == 1
