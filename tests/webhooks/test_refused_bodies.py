"""A body over the limit gets a 413 the sender can read, however it sends the body.

Senders such as Python's urllib write the whole body before reading the answer. These
tests do the same on a raw socket against the real uvicorn server, and read what comes
back: a 413 with the JSON verdict, never a connection reset (issue 12).
"""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.webhooks.conftest import LiveReceiver, encode, github_headers, load, settings
from webhooks.settings import MIB

CHUNK = 64 * 1024


def connect(receiver: LiveReceiver) -> socket.socket:
    host, port = receiver.url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=30)
    return sock


def head(
    body: bytes | None, *, length: int | None = None, connection: str = "keep-alive", **extra: str
) -> bytes:
    """The request line and headers of a signed GitHub push; chunked when ``length`` is None
    and ``body`` is None."""
    headers = github_headers("push", body or b"")
    headers["Connection"] = connection
    if length is not None:
        headers["Content-Length"] = str(length)
    else:
        headers["Transfer-Encoding"] = "chunked"
    headers.update(extra)
    lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return f"POST /webhooks/github HTTP/1.1\r\nHost: 127.0.0.1\r\n{lines}\r\n".encode()


def read_answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Status, headers (lower-case names) and body of one HTTP answer."""
    data = b""
    while b"\r\n\r\n" not in data:
        got = sock.recv(65536)
        if not got:
            raise AssertionError(f"connection closed before an answer; got {data!r}")
        data += got
    top, _, rest = data.partition(b"\r\n\r\n")
    lines = top.decode().split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (x.split(":", 1) for x in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        got = sock.recv(65536)
        if not got:
            break
        rest += got
    return int(lines[0].split()[1]), headers, rest[:length]


def chunked(data: bytes) -> bytes:
    parts = [
        b"%x\r\n%s\r\n" % (len(data[i : i + CHUNK]), data[i : i + CHUNK])
        for i in range(0, len(data), CHUNK)
    ]
    return b"".join(parts) + b"0\r\n\r\n"


@pytest.mark.parametrize("connection", ["close", "keep-alive"])
def test_whole_oversize_body_sent_before_reading_gets_a_readable_413(
    receiver: LiveReceiver, connection: str
) -> None:
    body = b"x" * (7 * MIB)
    with connect(receiver) as sock:
        sock.sendall(head(body, length=len(body), connection=connection) + body)
        status, _, answer = read_answer(sock)
    assert status == 413
    assert json.loads(answer) == {
        "verdict": "refused",
        "reason": f"body of {len(body)} bytes is over the {5 * MIB}-byte limit",
    }


def test_urllib_reads_the_413_of_an_oversize_body(receiver: LiveReceiver) -> None:
    body = b"x" * (6 * MIB)
    request = urllib.request.Request(
        f"{receiver.url}/webhooks/github", data=body, headers=github_headers("push", body)
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 413
    assert json.loads(refused.value.read())["verdict"] == "refused"


def test_chunked_oversize_body_sent_before_reading_gets_a_readable_413(
    receiver: LiveReceiver,
) -> None:
    body = b"x" * (12 * MIB)
    with connect(receiver) as sock:
        sock.sendall(head(None, connection="close") + chunked(body))
        status, _, answer = read_answer(sock)
    assert status == 413
    assert json.loads(answer)["reason"] == f"body is over the {5 * MIB}-byte limit"


def test_content_length_promising_more_than_is_sent_gets_413_after_the_drain_time(
    receiver: LiveReceiver,
) -> None:
    receiver.install(settings(drain_seconds=0.5))
    sent = b"x" * (6 * MIB)
    with connect(receiver) as sock:
        sock.sendall(head(sent, length=64 * MIB) + sent)  # then waits for the rest's answer
        started = time.monotonic()
        status, headers, answer = read_answer(sock)
    assert status == 413
    assert time.monotonic() - started < 10
    assert headers["connection"] == "close"
    assert "67108864 bytes" in json.loads(answer)["reason"]


def test_endless_body_is_cut_off_at_the_drain_bound(receiver: LiveReceiver) -> None:
    receiver.install(settings(max_body_bytes=64 * 1024, drain_bytes=256 * 1024))
    sock = connect(receiver)
    stopped: list[BaseException] = []

    def send_forever() -> None:
        deadline = time.monotonic() + 20
        try:
            sock.sendall(head(None))
            while time.monotonic() < deadline:
                sock.sendall(chunked(b"x" * CHUNK)[:-5])  # never the last chunk
        except OSError as exc:
            stopped.append(exc)

    sender = threading.Thread(target=send_forever, daemon=True)
    sender.start()
    try:
        status, headers, _ = read_answer(sock)
        sender.join(timeout=15)
        assert (status, headers["connection"]) == (413, "close")
        assert stopped, "the server kept reading an endless body"
    finally:
        sock.close()


def test_expect_continue_sender_gets_413_without_sending_the_body(
    receiver: LiveReceiver,
) -> None:
    with connect(receiver) as sock:
        sock.sendall(head(b"", length=7 * MIB, Expect="100-continue"))
        status, headers, answer = read_answer(sock)
    assert status == 413  # not "100 Continue": the body is never asked for
    assert headers["connection"] == "close"
    assert json.loads(answer)["verdict"] == "refused"


def test_connection_is_reused_after_a_drained_413(receiver: LiveReceiver, payloads: Path) -> None:
    oversize = b"x" * (6 * MIB)
    ping = encode(load(payloads, "github/ping.payload.json"))
    ping_head = github_headers("ping", ping) | {"Content-Length": str(len(ping))}
    lines = "".join(f"{k}: {v}\r\n" for k, v in ping_head.items())
    with connect(receiver) as sock:
        sock.sendall(head(oversize, length=len(oversize)) + oversize)
        first, _, _ = read_answer(sock)
        sock.sendall(f"POST /webhooks/github HTTP/1.1\r\nHost: x\r\n{lines}\r\n".encode() + ping)
        second, _, answer = read_answer(sock)
    assert (first, second) == (413, 202)
    assert json.loads(answer)["verdict"] == "accepted"
