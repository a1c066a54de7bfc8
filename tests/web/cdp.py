"""Driving Debian's headless chromium over the DevTools protocol, to click like a person.

``--dump-dom`` shows a page; pressing a button needs the browser's remote-debugging
websocket: open a tab, navigate, run a line of JavaScript in the page (type a token,
click), and read the page back. Only the few DevTools methods the tests use.
"""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

CHROMIUM = Path("/usr/bin/chromium")
START_TIMEOUT_S = 60.0
CALL_TIMEOUT_S = 60.0
_LISTENING = re.compile(r"DevTools listening on (ws://\S+)")


class Tab:
    """One page of the browser, attached through a flat DevTools session."""

    def __init__(self, socket: ClientConnection, session: str) -> None:
        self._socket = socket
        self._session = session
        self._ids = itertools.count(1000)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        return _call(self._socket, self._ids, method, params, self._session)

    def goto(self, url: str) -> None:
        self.call("Page.enable")
        self.call("Page.navigate", url=url)
        self.wait_for("document.readyState === 'complete'", "the page to load")

    def evaluate(self, expression: str) -> Any:
        answer = self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in answer:
            raise AssertionError(f"{expression!r} threw: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    def wait_for(self, expression: str, what: str, timeout: float = 60.0) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(0.1)


def _call(
    socket: ClientConnection,
    ids: Iterator[int],
    method: str,
    params: dict[str, Any],
    session: str | None = None,
) -> dict[str, Any]:
    message_id = next(ids)
    message: dict[str, Any] = {"id": message_id, "method": method, "params": params}
    if session is not None:
        message["sessionId"] = session
    socket.send(json.dumps(message))
    deadline = time.monotonic() + CALL_TIMEOUT_S
    while True:
        answer = json.loads(socket.recv(timeout=max(0.1, deadline - time.monotonic())))
        if answer.get("id") != message_id:
            continue  # an event, or another call's answer
        if "error" in answer:
            raise AssertionError(f"DevTools {method} failed: {answer['error']}")
        result: dict[str, Any] = answer.get("result", {})
        return result


@contextmanager
def browser_tab(profile: Path) -> Iterator[Tab]:
    """A headless chromium with one blank tab; closed afterwards."""
    process = subprocess.Popen(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--remote-debugging-port=0",
            f"--user-data-dir={profile}",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = _devtools_url(process)
        with connect(url, max_size=None, open_timeout=START_TIMEOUT_S) as socket:
            ids = itertools.count(1)
            target = _call(socket, ids, "Target.createTarget", {"url": "about:blank"})
            attached = _call(
                socket,
                ids,
                "Target.attachToTarget",
                {"targetId": target["targetId"], "flatten": True},
            )
            yield Tab(socket, attached["sessionId"])
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _devtools_url(process: subprocess.Popen[str]) -> str:
    assert process.stderr is not None
    deadline = time.monotonic() + START_TIMEOUT_S
    seen = []
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            if process.poll() is not None:
                break
            continue
        seen.append(line)
        found = _LISTENING.search(line)
        if found:
            # Keep reading what chromium says, so a full pipe never stalls it.
            threading.Thread(target=process.stderr.read, daemon=True).start()
            return found.group(1)
    raise AssertionError(f"chromium did not open its DevTools socket: {''.join(seen)[-2000:]}")
