"""One emulator for the end-to-end tests; a fresh world (remote, serve, fake forge) each."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.world import World, running_world


@pytest.fixture(scope="session")
def emulator_url() -> Iterator[str]:
    from emulator import start_embedded

    with start_embedded() as running:
        yield running.url


@pytest.fixture
def fresh_cloud(emulator_url: str) -> str:
    """The emulator, emptied: every test starts with no stacks in any account."""
    import httpx

    httpx.post(f"{emulator_url}/moto-api/reset", timeout=30).raise_for_status()
    return emulator_url


@pytest.fixture
def world(tmp_path: Path, payloads: Path, fresh_cloud: str) -> Iterator[World]:
    with running_world(tmp_path, payloads, fresh_cloud) as found:
        yield found


@pytest.fixture
def gitlab_world(tmp_path: Path, payloads: Path, fresh_cloud: str) -> Iterator[World]:
    with running_world(tmp_path, payloads, fresh_cloud, forge="gitlab") as found:
        yield found
