"""The HTML pages: what they show, what they hide, and that nothing in a record runs."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import replace
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from reconciler.state import StateStore
from tests.web.conftest import Web, status_app
from tests.web.estate import HEAD, SteppingClock, pull_request_plan, unit_record
from webhooks.api import status_router
from webhooks.pages import took, when
from webhooks.views import PLANS_NAMESPACE, ViewSettings


def text_of(html: str) -> str:
    """The page's visible words: the body's text, tags dropped and spaces collapsed."""
    body = html[html.index("<body>") :]
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


def column_headers(html: str) -> list[str]:
    matrix = html[html.index('<table class="matrix">') :]
    first_row = matrix[: matrix.index("</tr>")]
    return [h.strip() for h in re.findall(r"<th>([^<]*)</th>", first_row) if h.strip()]


def test_overview_columns_follow_the_rollout_order_then_pipeline(web: Web) -> None:
    html = web.client.get("/").text

    assert column_headers(html) == ["test", "staging", "production", "pipeline"]


def test_overview_orders_columns_by_rollout_waves_when_no_order_is_configured(
    web: Web,
) -> None:
    with TestClient(status_app(web.store, ViewSettings())) as client:
        html = client.get("/").text

    assert column_headers(html) == ["test", "staging", "production", "pipeline"]


def test_overview_links_every_unit_to_its_page(web: Web) -> None:
    html = web.client.get("/").text

    for unit in web.store.units():
        assert f'href="/units/{unit.id}"' in html


def test_overview_lists_units_needing_attention_worst_first(web: Web) -> None:
    html = web.client.get("/").text
    section = html[html.index("Needs attention") : html.index("Rollouts")]

    listed = re.findall(r'href="/units/([^"]+)"', section)
    assert listed == [web.estate.stalled, web.estate.reconciling, "service/orders-db/staging"]
    assert "waiting for environment/staging" in section


def test_overview_shows_the_halted_rollout_and_each_wave(web: Web) -> None:
    words = text_of(web.client.get("/").text)

    assert "public-web-svc 1.2 → 1.3 halted" in words
    assert "test: succeeded → staging: succeeded → production: failed" in words


def test_overview_flags_outdated_versions_with_the_recommended_one(web: Web) -> None:
    words = text_of(web.client.get("/").text)

    assert "Ready 1.1 outdated → 1.2" in words
    assert "Stalled 1.2 outdated → 1.3" in words
    assert "2 outdated" in words


def test_overview_counts_units_by_state(web: Web) -> None:
    words = text_of(web.client.get("/").text)

    assert "13 units 1 Stalled 2 Reconciling 10 Ready" in words


def test_overview_shows_the_last_applied_revision(web: Web) -> None:
    assert f"@ {HEAD[:12]}" in web.client.get("/").text


def test_overview_of_an_empty_store_says_nothing_is_recorded(tmp_path: Path) -> None:
    with (
        StateStore.open(f"sqlite:///{tmp_path / 'empty.db'}") as store,
        TestClient(status_app(store)) as client,
    ):
        answer = client.get("/")

    assert answer.status_code == 200
    assert "No unit is recorded yet" in answer.text


def test_a_script_in_a_message_is_rendered_as_text(web: Web) -> None:
    own = '<script src="/assets/unit-actions.js"></script>'  # the unit page's buttons
    for path in ("/", f"/units/{web.estate.stalled}"):
        html = web.client.get(path).text

        assert "<script" not in html.replace(own, "")
        assert "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt; stack rollback" in html


def test_unit_page_shows_stack_outputs_conditions_and_history(web: Web) -> None:
    words = text_of(web.client.get(f"/units/{web.estate.stalled}").text)

    assert "Stack name goldenpath-service-web-production" in words
    assert "Account / region 333333333333 / us-west-2" in words
    assert "ServiceEndpoint https://web.pizza-ananas.example" in words
    assert "Stalled True StackFailed" in words
    assert "FAILED 1.3 9f2c1e7ab34d 2026-03-02 09:37:30 UTC 2m 30s" in words
    assert "SUCCEEDED 1.2" in words


def test_unit_page_links_web_endpoints(web: Web) -> None:
    html = web.client.get(f"/units/{web.estate.ready}").text

    assert '<a href="https://web-test.pizza-ananas.example" rel="noopener noreferrer">' in html


def test_unit_page_never_links_an_output_that_is_not_http(web: Web) -> None:
    record = web.store.unit(web.estate.ready)
    assert record is not None
    hostile = {"Link": "javascript:alert(1)", "Other": '"><img src=x onerror=alert(1)>'}
    web.store.save_units(
        [unit_record(record.id, "public-web-svc", "1.3", record.updated_at, outputs=hostile)]
    )

    html = web.client.get(f"/units/{web.estate.ready}").text

    assert 'href="javascript:' not in html
    assert "<img" not in html
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in html


def test_unit_page_masks_secret_named_outputs(web: Web) -> None:
    html = web.client.get(f"/units/{web.estate.database}").text

    assert "correct-horse-battery-staple" not in html
    assert "secret:db-Xy" not in html
    assert "orders-db.c9akciq32.us-west-2.rds.amazonaws.com" in html
    assert text_of(html).count(ViewSettings().mask) == 2


def test_unknown_unit_page_is_a_404_page_saying_so(web: Web) -> None:
    answer = web.client.get("/units/service/nope/test")

    assert answer.status_code == 404
    assert "text/html" in answer.headers["content-type"]
    assert "no unit &#39;service/nope/test&#39; is recorded" in answer.text


def test_plan_page_shows_changes_with_replacements_flagged(web: Web) -> None:
    words = text_of(web.client.get(f"/plans/{web.estate.plan_key}").text)

    assert "Add the &lt;reviews&gt; service #12" in words
    assert "1 create 1 update 1 delete 1 noop" in words
    assert (
        "service/web/test goldenpath-service-web-test · 111111111111/us-west-2 update 1.2 → 1.3"
        in words
    )
    assert "1.2 → 1.3 template version changed" in words
    assert "~ LoadBalancer (AWS::ElasticLoadBalancingV2::LoadBalancer) replacement" in words
    assert "~ TaskDefinition (AWS::ECS::TaskDefinition) may be replaced" in words
    assert "may be replaced + LogGroup (AWS::Logs::LogGroup) service/reviews/test" in words
    assert "1.0 → (gone) spec removed" in words
    assert "keeps Table (holds data)" in words
    assert "known after apply: outputs of service/orders-db/test" in words
    assert "1 unit with nothing to do" in words


def test_plan_page_shows_errors_with_file_line_and_field_escaped(web: Web) -> None:
    html = web.client.get(f"/plans/{web.estate.plan_key}").text

    assert "services/reviews.yaml:14" in html
    assert "spec.instances[0].inputs.memory" in html
    assert "&lt;b&gt;512MB&lt;/b&gt; is not an integer" in html


def test_plan_page_links_its_json_with_the_key_encoded(web: Web) -> None:
    web.store.cache_put(PLANS_NAMESPACE, "gitlab:group/sub/project#7", pull_request_plan())

    html = web.client.get("/plans/gitlab:group/sub/project%237").text

    assert 'href="/api/v1/plans/gitlab:group/sub/project%237"' in html


def test_plan_page_names_the_change_request_its_author_and_links_it(web: Web) -> None:
    html = web.client.get(f"/plans/{web.estate.plan_key}").text

    assert "Add the &lt;reviews&gt; service" in html
    assert '<a href="https://github.com/pizza-ananas/platform/pull/12"' in html
    assert "by <b>gregg</b>" in html


def test_plan_page_lists_warnings_after_errors(web: Web) -> None:
    words = text_of(web.client.get(f"/plans/{web.estate.plan_key}").text)

    assert "error services/reviews.yaml:14 spec.instances[0].inputs.memory" in words
    assert "warning services/reviews.yaml:3 metadata.team team &#39;reviews&#39; has no" in words
    assert words.index("error services/") < words.index("warning services/")


def test_plan_page_shows_the_blast_radius_with_escaped_diffs(web: Web) -> None:
    html = web.client.get(f"/plans/{web.estate.plan_key}").text
    words = text_of(html)

    assert "+ Tracing: &lt;Active&gt; public-web-svc 1.2 → 1.3 moves" in words
    assert "service/web/production public-web-svc 1.2 → 1.3 outdated" in words
    assert "+      Tracing: &lt;Active&gt;" in html


def test_a_plan_missing_a_field_gives_a_500_page_naming_it(web: Web) -> None:
    plan = pull_request_plan()
    del plan["units"][0]["changes"]
    web.store.cache_put(PLANS_NAMESPACE, "partial", plan)

    answer = web.client.get("/plans/partial")

    assert answer.status_code == 500
    assert "changes" in answer.text


def test_unknown_plan_page_is_404(web: Web) -> None:
    answer = web.client.get("/plans/github-pizza-ananas-platform-99")

    assert answer.status_code == 404
    assert "no plan is stored under" in answer.text


def test_links_keep_the_prefix_the_router_is_mounted_under(web: Web) -> None:
    app = FastAPI()
    app.include_router(status_router(web.store), prefix="/status")
    with TestClient(app) as client:
        html = client.get("/status/").text
        unit = client.get(f"/status/units/{web.estate.ready}")

    assert f'href="/status/units/{web.estate.ready}"' in html
    assert 'href="/status/api/v1/status"' in html
    assert unit.status_code == 200


def test_a_failing_store_gives_a_503_page(web: Web, tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "state.db") as connection:
        connection.execute("DROP TABLE units")

    answer = web.client.get("/")

    assert answer.status_code == 503
    assert "State store unavailable" in answer.text


def test_times_read_in_utc_whatever_offset_they_carry() -> None:
    assert when("2026-03-02T11:30:00+02:00") == "2026-03-02 09:30:00 UTC"
    assert when(None) == ""


def test_durations_read_in_the_two_largest_units() -> None:
    start = "2026-03-02T09:00:00+00:00"
    assert took(start, "2026-03-02T09:00:42+00:00") == "42s"
    assert took(start, "2026-03-02T09:04:12+00:00") == "4m 12s"
    assert took(start, "2026-03-02T11:05:00+00:00") == "2h 5m"
    assert took(start, None) == ""


def test_a_unit_without_conditions_reads_unknown(tmp_path: Path) -> None:
    clock = SteppingClock()
    with StateStore.open(f"sqlite:///{tmp_path / 's.db'}", clock=clock) as store:
        fresh = unit_record("environment/test", "pizza-env", "1.0", clock.now())
        store.save_units([replace(fresh, conditions=())])
        with TestClient(status_app(store)) as client:
            words = text_of(client.get("/units/environment/test").text)

    assert "environment/test Unknown" in words
    assert "No conditions yet" in words


def test_overview_filter_keeps_units_whose_id_contains_the_query(web: Web) -> None:
    html = web.client.get("/", params={"q": "ORDERS"}).text

    listed = set(re.findall(r'class="cell" href="/units/([^"]+)"', html))
    assert listed == {"service/orders-db/test", "service/orders-db/staging"}
    assert "2 of 13 units match “ORDERS”" in text_of(html)


def test_overview_filter_that_matches_nothing_says_so_escaped(web: Web) -> None:
    html = web.client.get("/", params={"q": "<i>nothing</i>"}).text

    assert "No unit id contains “&lt;i&gt;nothing&lt;/i&gt;”" in html
    assert "<i>" not in html


def test_unit_page_shows_guardrail_exceptions_and_warnings(web: Web) -> None:
    from datetime import date

    from reconciler.guardrails import Excepted, Finding, Verdict
    from reconciler.report.guardrails import save_notes
    from reconciler.specs.model import GuardrailException, Origin

    exception = GuardrailException(
        "s3_encrypted",
        ("service/web/*",),
        "the app encrypts until March",
        "2027-03-01",
        Origin("goldenpath.yaml", 9, "spec.guardrails.exceptions[0]"),
    )
    denial = Finding("s3_encrypted", "Bucket", "the bucket is not encrypted")
    verdict = Verdict(
        web.estate.ready,
        warnings=(Finding("s3_versioning", "Bucket", "versioning is off", "warn"),),
        excepted=(Excepted(denial, exception),),
    )
    assert date.fromisoformat(exception.expires)  # a real day, as the loader keeps it
    save_notes(web.store, {web.estate.ready: verdict})

    words = text_of(web.client.get(f"/units/{web.estate.ready}").text)

    assert (
        "Guardrails Result Rule Resource Message excepted until 2027-03-01 s3_encrypted Bucket "
        "the bucket is not encrypted — the app encrypts until March" in words
    )
    assert "warning s3_versioning Bucket versioning is off" in words
