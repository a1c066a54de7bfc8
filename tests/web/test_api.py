"""The JSON API, /healthz and read-only routing, through FastAPI's TestClient."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from reconciler.state import StateStore
from tests.web.conftest import Web, status_app
from tests.web.estate import HEAD, SCRIPT_MESSAGE, SteppingClock, pull_request_plan, unit_record
from webhooks.views import PLANS_NAMESPACE, ViewSettings

MASK = ViewSettings().mask


def by_id(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {u["id"]: u for u in document["units"]}


def test_status_lists_every_unit_with_its_state(web: Web) -> None:
    units = by_id(web.client.get("/api/v1/status").json())

    assert len(units) == 13
    assert units[web.estate.ready]["state"] == "Ready"
    assert units[web.estate.stalled]["state"] == "Stalled"
    assert units[web.estate.reconciling]["state"] == "Reconciling"
    assert units[web.estate.stalled]["conditions"][0]["message"] == SCRIPT_MESSAGE


def test_status_flags_outdated_units_with_the_recommended_version(web: Web) -> None:
    units = by_id(web.client.get("/api/v1/status").json())

    production = units[web.estate.outdated]
    assert (production["version"], production["outdated"]) == ("1.1", True)
    assert production["recommended_version"] == "1.2"
    assert units["environment/test"]["outdated"] is False


def test_status_includes_the_halted_rollout_and_its_waves(web: Web) -> None:
    (rollout,) = web.client.get("/api/v1/status").json()["rollouts"]

    assert rollout["status"] == "halted"
    assert [(w["environments"], w["status"]) for w in rollout["waves"]] == [
        (["test"], "succeeded"),
        (["staging"], "succeeded"),
        (["production"], "failed"),
    ]


def test_status_masks_outputs_whose_name_says_secret(web: Web) -> None:
    units = by_id(web.client.get("/api/v1/status").json())

    database = units[web.estate.database]["outputs"]
    assert database["MasterPassword"] == MASK
    assert database["DatabaseSecretArn"] == MASK
    assert database["Host"].endswith(".rds.amazonaws.com")
    assert units[web.estate.ready]["outputs"]["ApiToken"] == MASK


def test_masked_values_appear_nowhere_in_the_answer(web: Web) -> None:
    text = web.client.get("/api/v1/status").text

    assert "correct-horse-battery-staple" not in text
    assert "tok-3141592653" not in text


def test_unit_answers_one_unit_with_endpoints_shown(web: Web) -> None:
    answer = web.client.get(f"/api/v1/units/{web.estate.ready}")

    assert answer.status_code == 200
    unit = answer.json()
    assert unit["id"] == web.estate.ready
    assert unit["outputs"]["ServiceEndpoint"] == "https://web-test.pizza-ananas.example"
    assert unit["outputs"]["ApiToken"] == MASK
    assert unit["last_applied_revision"] == HEAD


def test_unknown_unit_is_404_with_a_json_error(web: Web) -> None:
    answer = web.client.get("/api/v1/units/service/nope/test")

    assert answer.status_code == 404
    assert answer.json() == {
        "error": "unit_not_found",
        "message": "no unit 'service/nope/test' is recorded",
    }


def test_malformed_unit_id_is_404_naming_the_four_forms(web: Web) -> None:
    answer = web.client.get("/api/v1/units/service/only-a-service")

    assert answer.status_code == 404
    message = answer.json()["message"]
    assert "'service/only-a-service' is not a unit id" in message
    assert "service/<service>/<instance>" in message


def test_history_lists_deployments_newest_first(web: Web) -> None:
    answer = web.client.get(f"/api/v1/units/{web.estate.stalled}/history")

    assert answer.status_code == 200
    document = answer.json()
    assert document["unit"] == web.estate.stalled
    statuses = [(d["version"], d["status"]) for d in document["deployments"]]
    assert statuses == [("1.3", "FAILED"), ("1.2", "SUCCEEDED")]
    assert document["deployments"][0]["message"] == SCRIPT_MESSAGE


def test_history_of_a_deleted_unit_is_still_served(web: Web) -> None:
    answer = web.client.get(f"/api/v1/units/{web.estate.deleted}/history")

    assert answer.status_code == 200
    assert [d["status"] for d in answer.json()["deployments"]] == ["DELETE_COMPLETE"]


def test_history_of_an_unknown_unit_is_404(web: Web) -> None:
    answer = web.client.get("/api/v1/units/environment/mars/history")

    assert answer.status_code == 404
    assert answer.json()["error"] == "unit_not_found"


def test_a_pipeline_of_a_service_named_history_is_a_unit_not_a_history(tmp_path: Path) -> None:
    clock = SteppingClock()
    with StateStore.open(f"sqlite:///{tmp_path / 's.db'}", clock=clock) as store:
        store.save_units([unit_record("pipeline/history", "public-web-svc", "1.0", clock.now())])
        with TestClient(status_app(store)) as client:
            answer = client.get("/api/v1/units/pipeline/history")

    assert answer.status_code == 200
    assert answer.json()["id"] == "pipeline/history"


def test_plan_is_served_under_its_key(web: Web) -> None:
    answer = web.client.get(f"/api/v1/plans/{web.estate.plan_key}")

    assert answer.status_code == 200
    assert answer.json() == pull_request_plan()


def test_a_plan_key_with_url_characters_is_found_percent_encoded(web: Web) -> None:
    web.store.cache_put(PLANS_NAMESPACE, "gitlab:group/sub/project#7", pull_request_plan())

    answer = web.client.get("/api/v1/plans/gitlab:group/sub/project%237")

    assert answer.status_code == 200
    assert answer.json()["revision"] == HEAD


def test_plan_inputs_with_secret_names_are_masked(web: Web) -> None:
    plan = pull_request_plan()
    plan["units"][0]["inputs"] = {"db_password": "hunter2-hunter2", "port": 80}
    web.store.cache_put(PLANS_NAMESPACE, "9f2c1e7a", plan)

    unit = web.client.get("/api/v1/plans/9f2c1e7a").json()["units"][0]

    assert unit["inputs"] == {"db_password": MASK, "port": 80}


def test_unknown_plan_is_404_with_a_json_error(web: Web) -> None:
    answer = web.client.get("/api/v1/plans/github-pizza-ananas-platform-99")

    assert answer.status_code == 404
    assert answer.json()["error"] == "plan_not_found"
    assert answer.json()["message"].startswith(
        "no plan is stored under 'github-pizza-ananas-platform-99': it was never checked"
    )


def test_an_overlong_plan_key_is_refused_with_the_expected_form(web: Web) -> None:
    answer = web.client.get("/api/v1/plans/" + "x" * 301)

    assert answer.status_code == 404
    assert "1 to 300 characters" in answer.json()["message"]
    assert "'github-owner-repo-12'" in answer.json()["message"]


def test_a_stored_value_that_is_not_a_plan_is_500_saying_what_is_wrong(web: Web) -> None:
    web.store.cache_put(PLANS_NAMESPACE, "broken", ["not", "a", "plan"])

    answer = web.client.get("/api/v1/plans/broken")

    assert answer.status_code == 500
    assert answer.json()["error"] == "plan_unreadable"
    assert "an object with a 'units' list" in answer.json()["message"]


def test_plans_are_read_where_the_pr_checks_write_them() -> None:
    from reconciler.checks.runner import PLANS

    assert PLANS_NAMESPACE == PLANS


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize(
    "path",
    ["/healthz", "/metrics", "/api/v1/status", "/api/v1/units/service/web/test", "/", "/plans/x"],
)
def test_every_route_refuses_writes_with_405(web: Web, method: str, path: str) -> None:
    answer = web.client.request(method, path)

    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET"


def test_healthz_is_ok_when_the_store_answers(web: Web) -> None:
    answer = web.client.get("/healthz")

    assert (answer.status_code, answer.json()) == (200, {"status": "ok"})


def break_database(tmp_path: Path) -> None:
    """Drop a table under the running store, as a botched manual repair would."""
    with sqlite3.connect(tmp_path / "state.db") as connection:
        connection.execute("DROP TABLE rollouts")


def test_healthz_is_503_when_the_store_fails(web: Web, tmp_path: Path) -> None:
    break_database(tmp_path)

    answer = web.client.get("/healthz")

    assert answer.status_code == 503
    assert answer.json()["status"] == "unavailable"
    assert "rollouts" in answer.json()["message"]


def test_status_is_503_with_a_json_error_when_the_store_fails(web: Web, tmp_path: Path) -> None:
    break_database(tmp_path)

    answer = web.client.get("/api/v1/status")

    assert answer.status_code == 503
    assert answer.json()["error"] == "state_unavailable"


def test_each_unit_reads_the_same_alone_as_in_the_status(web: Web) -> None:
    units = by_id(web.client.get("/api/v1/status").json())

    for unit_id, listed in units.items():
        assert web.client.get(f"/api/v1/units/{unit_id}").json() == listed
