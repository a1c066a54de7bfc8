"""The unit page's data through a real ``goldenpath serve`` over HTTP: stack events from
the emulator, the template last applied (its secret input masked), the last deployment's
diff, the graph around a unit, and the answers to ids that name nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.engine.aws import Aws
from tests.engine.conftest import accounts, aws, embedded  # noqa: F401  (fixtures)
from tests.engine.platforms import Accounts
from tests.engine.unsticking import ORDERS_PRODUCTION, PRODUCTION
from tests.web.serving import Served, serving
from tests.web.unit_page import SECRET, deploy_orders_in_production, with_secret_input

API = f"/api/v1/units/{PRODUCTION}"


@pytest.fixture
def served(tmp_path: Path, aws: Aws, accounts: Accounts) -> Iterator[Served]:  # noqa: F811
    state = f"sqlite:///{tmp_path / 'state.db'}"
    with serving(tmp_path, aws, accounts, state, before=with_secret_input) as running:
        yield running


def _get(served: Served, path: str, status: int = 200) -> Any:
    answer = httpx.get(f"{served.url}{path}", timeout=30)
    assert answer.status_code == status, answer.text
    return answer.json()


def test_after_a_create_and_an_update_the_api_shows_events_template_and_diff(
    served: Served,
) -> None:
    created = _get(served, f"{API}/template")
    first_diff = _get(served, f"{API}/diff")
    first_events = _get(served, f"{API}/events")

    updated = deploy_orders_in_production(served.cycle, f"{{size: 3, api_key: {SECRET}}}")
    template = _get(served, f"{API}/template")
    diff = _get(served, f"{API}/diff")
    events = _get(served, f"{API}/events")

    assert created["applied"] is True
    assert "DelaySeconds: 1" in created["body"]
    assert "Value: '********'" in created["body"]  # the api-key tag, masked
    assert first_diff["from"] is None
    assert first_diff["to"]["status"] == "SUCCEEDED"
    assert first_diff["diff"].startswith("--- (nothing applied before)\n+++ ")
    assert "is the first: its whole body is new" in first_diff["message"]
    stack_events = [(e["logical_id"], e["status"]) for e in first_events["events"]]
    assert (ORDERS_PRODUCTION, "CREATE_COMPLETE") in stack_events
    assert (ORDERS_PRODUCTION, "CREATE_IN_PROGRESS") in stack_events
    assert ("Queue", "CREATE_COMPLETE") in stack_events

    assert updated.status == "SUCCEEDED"
    assert template["deployment"]["id"] == updated.id
    assert "DelaySeconds: 3" in template["body"]
    assert diff["to"]["id"] == updated.id
    assert diff["from"]["id"] == created["deployment"]["id"]
    lines = diff["diff"].splitlines()
    assert "-      DelaySeconds: 1" in lines
    assert "+      DelaySeconds: 3" in lines
    assert lines[0].startswith(f"--- {PRODUCTION} deployment {created['deployment']['id']} (")
    assert diff["message"] == ""
    newest = events["events"][0]
    assert (newest["logical_id"], newest["status"]) == (ORDERS_PRODUCTION, "UPDATE_COMPLETE")
    stamps = [e["timestamp"] for e in events["events"]]
    assert stamps == sorted(stamps, reverse=True)
    assert events["console"]["url"] is None
    assert events["console"]["emulator"].startswith("http://127.0.0.1:")
    assert events["cloud_error"] is None
    # The secret never left the engine: not in the API, not in the stored bodies.
    everything = str([created, first_diff, template, diff])
    assert SECRET not in everything
    store = served.cycle.store
    kept = [store.template_body(d.body_digest) for d in store.history(PRODUCTION) if d.body_digest]
    assert len(kept) == 2
    assert all(body and SECRET not in body and "********" in body for body in kept)


def test_the_graph_names_what_a_unit_depends_on_and_what_depends_on_it(served: Served) -> None:
    orders = _get(served, "/api/v1/units/service/orders/test/graph")
    web = _get(served, "/api/v1/units/service/web/test/graph")
    pipeline = _get(served, "/api/v1/units/pipeline/orders/graph")

    def ties(side: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
        return [(n["relation"], n["id"], n["state"]) for n in side]

    assert ties(orders["depends_on"]) == [("environment", "environment/test", "Ready")]
    assert ties(orders["dependants"]) == [
        ("deploys", "pipeline/orders", "Ready"),
        ("binds", "service/web/test", "Ready"),
    ]
    assert ties(web["depends_on"]) == [
        ("environment", "environment/test", "Ready"),
        ("binds", "service/orders/test", "Ready"),
    ]
    assert web["dependants"] == []
    assert {n["id"] for n in pipeline["depends_on"]} == {
        "service/orders/test",
        "service/orders/production",
    }
    assert {n["relation"] for n in pipeline["depends_on"]} == {"deploys"}


def test_ids_that_name_no_unit_get_404_saying_why(served: Served) -> None:
    for view in ("events", "template", "diff", "graph"):
        missing = _get(served, f"/api/v1/units/service/ghost/test/{view}", 404)
        assert missing == {
            "error": "unit_not_found",
            "message": "no unit 'service/ghost/test' is recorded",
        }, view
    malformed = _get(served, "/api/v1/units/service/a/b/c/graph", 404)
    assert (
        "'service/a/b/c/graph' is not a unit id: expected environment/<env>"
        in (malformed["message"])
    )
    page = httpx.get(f"{served.url}/units/service/ghost/test", timeout=30)
    assert page.status_code == 404
    assert "no unit &#39;service/ghost/test&#39; is recorded" in page.text
