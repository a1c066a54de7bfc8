"""The unit page in real headless chromium, served by a real ``goldenpath serve`` against
the emulator: after a create then an update, and after a failed update, a person sees the
stack's events, the diff, the template, the graph's links and where the console is."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.engine.aws import Aws
from tests.engine.conftest import accounts, aws, embedded  # noqa: F401  (fixtures)
from tests.engine.platforms import Accounts
from tests.engine.unsticking import ORDERS_PRODUCTION, PRODUCTION
from tests.web.cdp import CHROMIUM, Tab, browser_tab
from tests.web.serving import Served, serving
from tests.web.unit_page import (
    SECRET,
    deploy_orders_in_production,
    fail_next_update,
    with_secret_input,
)

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)",
)
ROWS = (
    "[...document.querySelectorAll('#{0} tr')].slice(1).map(r => r.innerText.replace(/\\s+/g, ' '))"
)
LINES = "[...document.querySelectorAll('#{0} pre span')].map(s => [s.className, s.textContent])"


@pytest.fixture
def served(tmp_path: Path, aws: Aws, accounts: Accounts) -> Iterator[Served]:  # noqa: F811
    state = f"sqlite:///{tmp_path / 'state.db'}"
    with serving(tmp_path, aws, accounts, state, before=with_secret_input) as running:
        yield running


def _text(tab: Tab, element: str) -> str:
    return str(tab.evaluate(f"document.getElementById('{element}').innerText"))


def _links(tab: Tab) -> list[list[str]]:
    return list(
        tab.evaluate(
            "[...document.querySelectorAll('#graph .dep')].map(d => [d.dataset.relation, "
            "d.querySelector('a') ? d.querySelector('a').getAttribute('href') : ''])"
        )
    )


def test_the_page_shows_an_update_and_then_a_failed_one(served: Served, tmp_path: Path) -> None:
    cycle = served.cycle
    updated = deploy_orders_in_production(cycle, f"{{size: 3, api_key: {SECRET}}}")
    assert updated.status == "SUCCEEDED"

    with browser_tab(tmp_path / "profile") as tab:
        tab.goto(f"{served.url}/units/{PRODUCTION}")
        events_after_update = tab.evaluate(ROWS.format("events"))
        diff_after_update = tab.evaluate(LINES.format("diff"))
        template_after_update = _text(tab, "template")
        console = _text(tab, "console-link")
        links = _links(tab)
        html = tab.evaluate("document.documentElement.outerHTML")

        fail_next_update(cycle)
        failed = deploy_orders_in_production(
            cycle, f"{{size: 3, dead_letter: true, api_key: {SECRET}}}"
        )
        tab.goto(f"{served.url}/units/{PRODUCTION}")
        events_after_failure = tab.evaluate(ROWS.format("events"))
        diff_after_failure = tab.evaluate(LINES.format("diff"))
        template_after_failure = _text(tab, "template")

        tab.evaluate(
            "document.querySelector('#graph a[href$=\"/environment/production\"]').click()"
        )
        tab.wait_for(
            "document.querySelector('h1') && "
            "document.querySelector('h1').innerText.includes('environment/production')",
            "the environment's page",
        )
        environment_links = _links(tab)

    # After the create and the update: the update's events, newest first; its diff.
    assert events_after_update[0].startswith("20")
    assert (
        f"{ORDERS_PRODUCTION} AWS::CloudFormation::Stack UPDATE_COMPLETE"
        in (events_after_update[0])
    )
    assert any("CREATE_COMPLETE" in row for row in events_after_update)
    assert ["remove", "-      DelaySeconds: 1"] in diff_after_update
    assert ["add", "+      DelaySeconds: 3"] in diff_after_update
    assert diff_after_update[0][0] == "file"
    assert f"As applied by deployment {updated.id}" in template_after_update
    assert "DelaySeconds: 3" in template_after_update
    assert "Value: '********'" in template_after_update
    assert SECRET not in html
    assert "the stack is in the emulator at http://127.0.0.1:" in console
    assert "not in AWS" in console
    assert links == [
        ["environment", "/units/environment/production"],
        ["deploys", "/units/pipeline/orders"],
    ]

    # After the failed update: why it failed, the rollback, what it tried, what runs.
    assert failed.status == "FAILED"
    statuses = " | ".join(events_after_failure)
    # (a resource the update adds fails to create, as in CloudFormation)
    assert (
        "DeadLetter AWS::SQS::Queue CREATE_FAILED "
        'Resource handler returned message: "dead-letter quota"' in statuses
    )
    assert (
        "UPDATE_ROLLBACK_IN_PROGRESS The following resource(s) failed to create: [DeadLetter]"
        in statuses
    )
    assert (
        f"{ORDERS_PRODUCTION} AWS::CloudFormation::Stack UPDATE_ROLLBACK_COMPLETE"
        in (events_after_failure[0])
    )
    assert ["add", "+  DeadLetter:"] in diff_after_failure
    assert diff_after_failure[0][1].endswith("SUCCEEDED)")
    assert diff_after_failure[1][1].endswith("FAILED)")
    assert f"As applied by deployment {updated.id}" in template_after_failure
    assert "DeadLetter" not in template_after_failure
    # The environment's page links back to what depends on it.
    assert ["environment", "/units/service/orders/production"] in environment_links
