"""The embedded emulator (the engine's cloud; Terraform units never call it) for the
Terraform end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import emulator
from emulator.server import EmbeddedEmulator


@pytest.fixture(scope="session")
def embedded() -> Iterator[EmbeddedEmulator]:
    with emulator.start_embedded() as running:
        yield running
