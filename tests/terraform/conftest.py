"""The embedded emulator (the engine's cloud; Terraform units never call it) for the
Terraform end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import emulator
from emulator.server import EmbeddedEmulator
from tests.engine.conftest import emulator_cloud
from tests.support.terraform_repo import PROVISIONING, tf_platform
from tests.terraform.world import ProvisioningWorld, provisioning_world, terraform_settings


@pytest.fixture(scope="session")
def embedded() -> Iterator[EmbeddedEmulator]:
    with emulator.start_embedded() as running:
        yield running


@pytest.fixture
def corpus_world(tmp_path: Path, embedded: EmbeddedEmulator) -> Iterator[ProvisioningWorld]:
    """The corpus's environment and instance, with the provisioning repository set."""
    platform = tf_platform(tmp_path / "platform")
    with provisioning_world(tmp_path, platform, emulator_cloud(embedded.url), PROVISIONING) as w:
        platform.write("goldenpath.yaml", terraform_settings(w.bare))
        platform.commit("the provisioning repository")
        yield w
