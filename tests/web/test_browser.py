"""The pages in a real browser: Debian's chromium, headless, against a uvicorn server.

``--dump-dom`` gives the DOM after the browser parsed the page, so what is asserted is
what a person would see (and that no script element came out of a record's text);
``--screenshot`` checks the page paints. Skipped, saying why, without /usr/bin/chromium.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.web.conftest import Live

CHROMIUM = Path("/usr/bin/chromium")
BROWSER_TIMEOUT_S = 60
WINDOW = "1280,900"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# A blank page at this window size compresses to about 5 kB; the overview is ~90 kB.
MIN_PAINTED_BYTES = 20_000

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)",
)


def chromium(profile: Path, *args: str) -> str:
    """Run headless chromium once; returns what it printed on stdout."""
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        f"--window-size={WINDOW}",
        *args,
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=BROWSER_TIMEOUT_S, check=False
    )
    assert done.returncode == 0, f"chromium failed ({done.returncode}): {done.stderr[-2000:]}"
    return done.stdout


def test_overview_in_a_browser_shows_units_states_and_the_rollout(
    live: Live, tmp_path: Path
) -> None:
    dom = chromium(tmp_path / "profile", "--dump-dom", f"{live.url}/")

    assert "<title>Overview · Goldenpath</title>" in dom
    for unit in (live.estate.ready, live.estate.stalled, live.estate.reconciling):
        assert f'href="/units/{unit}"' in dom
    assert '<span class="pill bad">Stalled</span>' in dom
    assert '<span class="pill run">Reconciling</span>' in dom
    assert '<span class="pill ok">Ready</span>' in dom
    assert "production: failed" in dom
    assert "<script" not in dom
    assert "&lt;script&gt;alert('pwned')&lt;/script&gt;" in dom


def test_unit_page_in_a_browser_shows_outputs_and_history(live: Live, tmp_path: Path) -> None:
    dom = chromium(tmp_path / "profile", "--dump-dom", f"{live.url}/units/{live.estate.stalled}")

    assert "https://web.pizza-ananas.example" in dom
    assert '<span class="pill bad">FAILED</span>' in dom
    # The one script is the page's own (its action buttons), none from a record's text.
    assert dom.count("<script") == 1
    assert '<script src="/assets/unit-actions.js"></script>' in dom


def test_overview_paints_a_screenshot(live: Live, tmp_path: Path) -> None:
    shot = tmp_path / "overview.png"

    chromium(tmp_path / "profile", f"--screenshot={shot}", f"{live.url}/")

    assert shot.read_bytes()[:8] == PNG_MAGIC
    assert shot.stat().st_size > MIN_PAINTED_BYTES
