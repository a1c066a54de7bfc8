"""Write actions through a real ``goldenpath serve``: tokens, scopes, refusals, retry, input.

Each test starts serve (a process, on a loopback port) over the cycle platform against
the in-process emulator; the refusal test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.engine.aws import Aws
from tests.engine.conftest import accounts, aws, embedded  # noqa: F401  (fixtures)
from tests.engine.platforms import Accounts
from tests.engine.unsticking import (
    ORDERS_PRODUCTION,
    PRODUCTION,
    change_orders_in_production,
    eventually,
    hold_next_update,
    stack_status,
    updating,
)
from tests.state.conftest import postgres_database, state_url  # noqa: F401  (fixtures)
from tests.web.serving import Served, serving

CANCEL = f"/api/v1/units/{PRODUCTION}/cancel"
ORDERS_TEST = "service/orders/test"


@pytest.fixture
def served(tmp_path: Path, aws: Aws, accounts: Accounts) -> Iterator[Served]:  # noqa: F811
    with serving(tmp_path, aws, accounts, f"sqlite:///{tmp_path / 'state.db'}") as running:
        yield running


def _held(served: Served) -> None:
    """serve starts an update of orders in production that stays UPDATE_IN_PROGRESS."""
    hold_next_update(served.cycle)
    change_orders_in_production(served.cycle)
    eventually(lambda: updating(served.cycle), "serve's held update")


def test_refused_requests_change_nothing_and_the_team_s_token_cancels(
    tmp_path: Path,
    aws: Aws,  # noqa: F811
    accounts: Accounts,  # noqa: F811
    state_url: str,  # noqa: F811
) -> None:
    with serving(tmp_path, aws, accounts, state_url) as served:
        _held(served)
        cycle = served.cycle
        store = cycle.store
        revoked = served.post("/api/v1/units/environment/test/retry", served.admin)
        assert revoked.status_code == 409  # an admin may try; the environment is Ready
        ops_id = served.admin.split("_")[1]
        store.revoke_token(ops_id)
        history = store.history(PRODUCTION)
        events = cycle.aws.events(accounts.production, ORDERS_PRODUCTION)
        tokens = store.tokens()

        answers = {
            "none": served.post(CANCEL),
            "not bearer": served.post(CANCEL, headers={"Authorization": "Basic YW5uYTpwdw=="}),
            "malformed": served.post(CANCEL, "gp_nope"),
            "forged": served.post(CANCEL, served.storefront[:-2] + "xx"),
            "revoked": served.post(CANCEL, served.admin),
            "other team": served.post(CANCEL, served.payments),
            "environment": served.post(
                "/api/v1/units/environment/production/cancel", served.storefront
            ),
        }

        assert {k: a.status_code for k, a in answers.items()} == {
            "none": 401, "not bearer": 401, "malformed": 401, "forged": 401, "revoked": 401,
            "other team": 403, "environment": 403,
        }  # fmt: skip
        assert answers["none"].headers["WWW-Authenticate"].startswith("Bearer")
        assert answers["revoked"].json() == {
            "error": "unauthenticated",
            "message": f"token {ops_id} was revoked",
        }
        assert "may act only on units of its team's services" in answers["other team"].text
        assert "service/orders/production is for team storefront" in answers["other team"].text
        # Nothing changed: not in the cloud, not in the state store.
        assert stack_status(cycle) == "UPDATE_IN_PROGRESS"
        assert cycle.aws.events(accounts.production, ORDERS_PRODUCTION) == events
        assert store.history(PRODUCTION) == history
        assert store.tokens() == tokens
        assert served.storefront not in served.log.read_text()

        accepted = served.post(CANCEL, served.storefront)

        assert accepted.status_code == 202, accepted.text
        assert accepted.json()["deployment"]["status"] == "CANCELLING"
        ended = eventually(
            lambda: next((d for d in store.history(PRODUCTION, 1) if d.finished), None),
            "the cancel to be recorded",
        )
        storefront_id = served.storefront.split("_")[1]
        assert (ended.status, ended.action) == ("CANCELLED", "cancel")
        assert ended.actor == f"storefront-ci (token {storefront_id}, team storefront)"
        assert stack_status(cycle) == "UPDATE_ROLLBACK_COMPLETE"


def test_retry_over_the_api_reconciles_the_failed_unit_at_once(
    tmp_path: Path,
    aws: Aws,  # noqa: F811
    accounts: Accounts,  # noqa: F811
) -> None:
    def fail_orders_test_once(cycle: object) -> None:
        aws.add_fault(
            {"kind": "fail", "operation": "create", "account": accounts.test,
             "stackName": "goldenpath-service-orders-test", "count": 1}
        )  # fmt: skip

    state = f"sqlite:///{tmp_path / 'state.db'}"
    with serving(tmp_path, aws, accounts, state, before=fail_orders_test_once) as served:
        store = served.cycle.store
        assert [d.status for d in store.history(ORDERS_TEST)] == ["FAILED"]
        asked = time.monotonic()

        answer = served.post(f"/api/v1/units/{ORDERS_TEST}/retry", served.storefront)

        assert answer.status_code == 202, answer.text
        assert answer.json()["was"] == "StackFailed"
        latest = eventually(
            lambda: next(
                (d for d in store.history(ORDERS_TEST, 1) if d.status == "SUCCEEDED"), None
            ),
            "the retried create",
        )
        assert time.monotonic() - asked < 60  # serve polls hourly: the retry was at once
        assert latest.action == "retry" and "team storefront" in latest.actor

        # Its dependant, blocked until now, goes out in the same reconcile.
        def web_created() -> bool:
            web = store.unit("service/web/test")
            return web is not None and web.stack_id is not None

        eventually(web_created, "web/test to be created")


ROLLBACK = f"/api/v1/units/{PRODUCTION}/continue-update-rollback"
# (path, body, status, what the message says): one serve answers them all.
BAD_REQUESTS = [
    ("/api/v1/units/service/nope/test/cancel", b"", 404, "no unit 'service/nope/test'"),
    ("/api/v1/units/service/orders/cancel", b"", 404, "is not a unit id"),
    (f"/api/v1/units/{PRODUCTION}/frobnicate", b"", 404, "no action 'frobnicate'"),
    (CANCEL, b"{not json", 400, "the body is not JSON (line 1 column 2)"),
    (CANCEL, b"[]", 400, "the body is a JSON list; expected an object"),
    (CANCEL, b'{"force": true}', 400, "unknown field 'force' for cancel; expected no fields"),
    (ROLLBACK, b'{"skip": "Queue"}', 400, "skip: expected a list of logical resource ids"),
    (ROLLBACK, b'{"skip": ["a b"]}', 400, "skip[0]: 'a b' is not a logical resource id"),
    (CANCEL, b" " * 70_000, 413, "at most 65536 are accepted"),
    (CANCEL, b"", 409, "its stack goldenpath-service-orders-production is CREATE_COMPLETE"),
    (ROLLBACK, b"", 409, "applies only to a stack in UPDATE_ROLLBACK_FAILED"),
    (f"/api/v1/units/{PRODUCTION}/retry", b"{}", 409, "is Ready: there is nothing to retry"),
]


def test_bad_requests_say_what_is_wrong_and_change_nothing(served: Served) -> None:
    history = served.cycle.store.history(PRODUCTION)
    wrong = []

    for path, body, status, message in BAD_REQUESTS:
        answer = served.post(path, served.admin, content=body)
        if answer.status_code != status or message not in answer.json()["message"]:
            wrong.append((path, body[:40], answer.status_code, answer.text))

    assert wrong == []
    assert served.cycle.store.history(PRODUCTION) == history
    assert stack_status(served.cycle) == "CREATE_COMPLETE"
    assert served.cycle.store.lease(PRODUCTION) is None


def test_a_unit_without_a_stack_cannot_be_cancelled_over_the_api(
    tmp_path: Path,
    aws: Aws,  # noqa: F811
    accounts: Accounts,  # noqa: F811
) -> None:
    def fail_orders_test(cycle: object) -> None:
        aws.add_fault(
            {"kind": "fail", "operation": "create", "account": accounts.test,
             "stackName": "goldenpath-service-orders-test"}
        )  # fmt: skip

    state = f"sqlite:///{tmp_path / 'state.db'}"
    with serving(tmp_path, aws, accounts, state, before=fail_orders_test) as served:
        answer = served.post("/api/v1/units/service/web/test/cancel", served.storefront)

    assert answer.status_code == 409
    assert answer.json()["message"] == (
        "service/web/test has no stack: goldenpath-service-web-test was never created in "
        f"{accounts.test}/us-west-2"
    )
