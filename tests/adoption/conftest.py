"""Fixtures of the adoption tests: one emulator over HTTP, Proton estates in fresh accounts.

The emulator runs in this process (``emulator.start_embedded``) and is reached only over
HTTP with boto3. Proton estates are made as Proton made them (``tests.support.
proton_estate``). Each estate lives in accounts no other test uses, since the emulator's
state is shared by the whole process.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator

import pytest

import emulator
from emulator.server import EmbeddedEmulator
from tests.engine.aws import Aws
from tests.support import proton_estate as tutorial
from tests.support.proton_estate import TutorialAccounts

# Distinct from the other areas' account ranges (100…, 210…, 310…), and per process.
_accounts = itertools.count(410_000_000_000 + (os.getpid() % 10_000) * 10_000 + 1)


def fresh_tutorial_accounts() -> TutorialAccounts:
    return TutorialAccounts(*(str(next(_accounts)) for _ in range(3)))


@pytest.fixture(scope="session")
def embedded() -> Iterator[EmbeddedEmulator]:
    with emulator.start_embedded() as running:
        yield running


@pytest.fixture
def aws(embedded: EmbeddedEmulator) -> Aws:
    return Aws(embedded.url)


@pytest.fixture(scope="module")
def estate(
    embedded: EmbeddedEmulator, tmp_path_factory: pytest.TempPathFactory
) -> tutorial.TutorialEstate:
    return tutorial.chapter1_estate(
        embedded.url, tmp_path_factory.mktemp("estate"), fresh_tutorial_accounts()
    )


@pytest.fixture(autouse=True)
def _credentials(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # What a script has in its environment; the emulator accepts any key.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    yield
