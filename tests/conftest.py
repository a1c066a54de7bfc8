"""Fixtures every test area shares: where the shared data is, and the real services."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# ../shared beside the project root holds the Proton corpus and the webhook payloads.
SHARED = PROJECT_ROOT.parent / "shared"
CORPUS = SHARED / "proton-corpus"
PAYLOADS = SHARED / "webhook-payloads"
EXAMPLE_REPO = PROJECT_ROOT / "platform-repo-example"

POSTGRES_URL = os.environ.get(
    "GOLDENPATH_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def require_shared(path: Path) -> Path:
    """Skip, saying why, when ../shared is not beside the project (CI always has it)."""
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared data lives in ../shared beside the project root")
    return path


@pytest.fixture(scope="session")
def corpus() -> Path:
    return require_shared(CORPUS)


@pytest.fixture(scope="session")
def payloads() -> Path:
    return require_shared(PAYLOADS)


@pytest.fixture(autouse=True)
def _default_logging() -> Iterator[None]:
    """A test that configures structlog (the CLI in-process) must not leak it to others."""
    yield
    import structlog

    structlog.reset_defaults()
