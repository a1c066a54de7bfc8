"""One emulator, two ways to run it: standalone (``run``) or in process (``start_embedded``).

Both serve the same WSGI application, moto's server (its domain dispatcher, which routes
each AWS request to the service it is signed for) behind the admin endpoints, with the
compatibility layer installed into moto first. The HTTP server is werkzeug's threaded
server, the one moto itself uses.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterable
from types import FrameType, TracebackType
from typing import Any

import structlog
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from emulator.faults import FAULTS, FaultBook
from emulator.settings import EmulatorSettings

log = structlog.get_logger(__name__)


class MotoWhenLoaded:
    """moto's WSGI application, loaded on first use or by the warm-up thread.

    Importing moto's CloudFormation (and every service model it pulls in) takes one to
    two seconds; the emulator listens and answers ``/_goldenpath/health`` before that, so
    it starts fast, and a request that needs moto meanwhile waits for the load to finish.
    """

    def __init__(self) -> None:
        self._application: Any = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._application is not None

    def load(self) -> Any:
        with self._lock:
            if self._application is None:
                started = time.perf_counter()
                from moto.moto_server.werkzeug_app import (
                    DomainDispatcherApplication,
                    create_backend_app,
                )

                from emulator.layer import install

                install()
                self._application = DomainDispatcherApplication(create_backend_app)
                log.info("emulator.loaded", seconds=round(time.perf_counter() - started, 3))
            return self._application

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.load()(environ, start_response)


def build_application(moto: MotoWhenLoaded) -> Any:
    """The WSGI application: admin endpoints in front of moto (loaded when first needed)."""
    from emulator.admin import AdminApplication

    return AdminApplication(moto, loaded=lambda: moto.loaded)


def _request_handler() -> type[WSGIRequestHandler]:
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    class QuietRequestHandler(MotoRequestHandler):
        """moto's handler, without a log line per request (a demo makes thousands)."""

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            return None

    return QuietRequestHandler


class EmbeddedEmulator:
    """An emulator serving on a loopback port from a thread of this process."""

    def __init__(self, settings: EmulatorSettings) -> None:
        self.settings = settings
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._moto = MotoWhenLoaded()

    @property
    def url(self) -> str:
        """The endpoint URL to give boto3 (``endpoint_url=``)."""
        if self._server is None:
            raise RuntimeError("the emulator is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def wait_until_loaded(self) -> None:
        """Block until moto is loaded (requests wait for it anyway; benchmarks need this)."""
        self._moto.load()

    @property
    def faults(self) -> FaultBook:
        """The faults in force (the same book ``/_goldenpath/faults`` edits)."""
        return FAULTS

    def start(self) -> EmbeddedEmulator:
        if self._server is not None:
            return self
        started = time.perf_counter()
        application = build_application(self._moto)
        FAULTS.add_all(self.settings.faults)
        self._server = make_server(
            self.settings.host,
            self.settings.port,
            application,
            threaded=True,
            request_handler=_request_handler(),
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="goldenpath-emulator", daemon=True
        )
        self._thread.start()
        threading.Thread(
            target=self._moto.load, name="goldenpath-emulator-load", daemon=True
        ).start()
        if os.environ.get("MOTO_ACCOUNT_ID"):
            log.warning("emulator.account_pinned", reason="MOTO_ACCOUNT_ID overrides AssumeRole")
        log.info(
            "emulator.ready",
            url=self.url,
            seconds=round(time.perf_counter() - started, 3),
            faults=len(self.settings.faults),
        )
        return self

    def stop(self) -> None:
        """Stop serving and close the socket; moto's state stays in this process."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._server = None
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(self.settings.shutdown_grace_seconds)
        log.info("emulator.stopped")

    def __enter__(self) -> EmbeddedEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def start_embedded(
    host: str = "127.0.0.1", port: int = 0, faults: Iterable[Any] = ()
) -> EmbeddedEmulator:
    """Start an emulator in this process (port 0: a free one) and return it running."""
    settings = EmulatorSettings(host=host, port=port, faults=tuple(faults))
    return EmbeddedEmulator(settings).start()


def run(host: str = "127.0.0.1", port: int = 4566) -> None:
    """Serve until SIGTERM or SIGINT, then stop cleanly (``goldenpath emulator``).

    Initial faults come from ``GOLDENPATH_EMULATOR_FAULTS`` (a JSON list of faults).
    """
    from emulator.faults import parse_faults
    from emulator.settings import FAULTS_ENVIRONMENT_VARIABLE

    text = os.environ.get(FAULTS_ENVIRONMENT_VARIABLE, "").strip()
    faults = parse_faults(text, FAULTS_ENVIRONMENT_VARIABLE) if text else []
    stopping = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        log.info("emulator.stopping", signal=signal.Signals(signum).name)
        stopping.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    emulator = EmbeddedEmulator(EmulatorSettings(host=host, port=port, faults=tuple(faults)))
    try:
        emulator.start()
        stopping.wait()
    finally:
        emulator.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
