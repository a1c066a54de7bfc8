"""The unit page's buttons in real headless chromium: cancel a stuck update with a token.

The page is served by a real ``goldenpath serve`` whose own reconcile started the update
(held UPDATE_IN_PROGRESS by the emulator); the browser types the token, presses the
button, and the page follows the history until the deployment is CANCELLED.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.engine.aws import Aws
from tests.engine.conftest import accounts, aws, embedded  # noqa: F401  (fixtures)
from tests.engine.platforms import Accounts
from tests.engine.unsticking import (
    PRODUCTION,
    change_orders_in_production,
    eventually,
    hold_next_update,
    stack_status,
    updating,
)
from tests.web.cdp import CHROMIUM, Tab, browser_tab
from tests.web.serving import Served, serving

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)",
)
RESULT = "document.getElementById('action-result')"
WATCH_S = 120.0


@pytest.fixture
def served(tmp_path: Path, aws: Aws, accounts: Accounts) -> Iterator[Served]:  # noqa: F811
    with serving(tmp_path, aws, accounts, f"sqlite:///{tmp_path / 'state.db'}") as running:
        yield running


def _press(tab: Tab, token: str, action: str) -> None:
    tab.evaluate(f"document.getElementById('action-token').value = {json.dumps(token)}")
    tab.evaluate(f"document.querySelector('button[data-action={json.dumps(action)}]').click()")


def _statuses_until(tab: Tab, final: str) -> list[str]:
    """Every status the page's result line showed, in order, until ``final``."""
    seen: list[str] = []
    deadline = time.monotonic() + WATCH_S
    while not seen or seen[-1] != final:
        status = tab.evaluate(f"{RESULT}.dataset.status")
        if status and (not seen or seen[-1] != status):
            seen.append(status)
        assert time.monotonic() < deadline, f"the page showed {seen}, never {final}"
        time.sleep(0.1)
    return seen


def test_the_cancel_button_cancels_a_stuck_update_and_shows_it_end(
    served: Served, tmp_path: Path
) -> None:
    cycle = served.cycle
    hold_next_update(cycle)
    change_orders_in_production(cycle)
    eventually(lambda: updating(cycle), "serve's held update")
    hold_next_update(cycle, seconds=3)  # the rollback, so that CANCELLING can be seen

    with browser_tab(tmp_path / "profile") as tab:
        tab.goto(f"{served.url}/units/{PRODUCTION}")
        _press(tab, "gp_000000000000_" + "x" * 43, "cancel")
        refused = _statuses_until(tab, "refused")
        refusal = tab.evaluate(f"{RESULT}.textContent")
        assert stack_status(cycle) == "UPDATE_IN_PROGRESS"

        _press(tab, served.storefront, "cancel")
        shown = _statuses_until(tab, "CANCELLED")
        final_text = tab.evaluate(f"{RESULT}.textContent")

    assert refused == ["refused"]
    assert "cancel refused (401 unauthenticated: token 000000000000 is not valid)" in refusal
    # (the line may still read "refused" when the watching starts)
    assert [s for s in shown if s != "refused"] == ["accepted", "CANCELLING", "CANCELLED"]
    token_id = served.storefront.split("_")[1]
    assert f"update cancelled by storefront-ci (token {token_id}, team storefront)" in final_text
    latest = cycle.store.history(PRODUCTION, 1)[0]
    assert (latest.status, latest.action) == ("CANCELLED", "cancel")
    assert stack_status(cycle) == "UPDATE_ROLLBACK_COMPLETE"


def test_the_history_table_says_who_acted(served: Served, tmp_path: Path) -> None:
    cycle = served.cycle
    hold_next_update(cycle)
    change_orders_in_production(cycle)
    eventually(lambda: updating(cycle), "serve's held update")
    assert served.post(f"/api/v1/units/{PRODUCTION}/cancel", served.admin).status_code == 202
    eventually(lambda: cycle.store.history(PRODUCTION, 1)[0].finished, "the cancel's end")

    with browser_tab(tmp_path / "profile") as tab:
        tab.goto(f"{served.url}/units/{PRODUCTION}")
        rows = tab.evaluate(
            "[...document.querySelectorAll('table tr')].map(r => r.innerText.replace(/\\s+/g, ' '))"
        )

    admin_id = served.admin.split("_")[1]
    cancelled = [r for r in rows if "CANCELLED" in r]
    assert len(cancelled) == 1
    assert f"ops (token {admin_id}, admin) cancel" in cancelled[0]
    assert any("reconciler" in r and "SUCCEEDED" in r for r in rows)
