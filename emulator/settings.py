"""How an emulator is started: where it listens and what it is told to break.

Both ways to run the emulator (``run`` standalone, ``start_embedded`` in process) take the
same settings, so a test and the standalone process behave alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from emulator.faults import Fault

# The environment variable the standalone process reads its initial faults from (a JSON list
# of fault objects, the same shape as ``POST /_goldenpath/faults``).
FAULTS_ENVIRONMENT_VARIABLE = "GOLDENPATH_EMULATOR_FAULTS"

# The port AWS's own local tools (LocalStack, moto_server docs) use, so endpoint URLs in
# scripts need no change.
DEFAULT_PORT = 4566
LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class EmulatorSettings:
    """Where the emulator listens and which faults it starts with."""

    host: str = LOOPBACK
    """Interface to bind; loopback by default, because the emulator has no authentication."""

    port: int = DEFAULT_PORT
    """TCP port; 0 asks the kernel for a free one (the embedded emulator does this)."""

    faults: tuple[Fault, ...] = field(default_factory=tuple)
    """Faults active from the first request on (more can be added over HTTP)."""

    shutdown_grace_seconds: float = 5.0
    """How long ``stop()`` waits for in-flight requests and delayed operations to finish."""
