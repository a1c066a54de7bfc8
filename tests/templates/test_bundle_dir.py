"""A bundle read from a folder on disk (the corpus, a migration) reads only that folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reconciler.errors import SpecError
from reconciler.templates.bundle import read_bundle_dir
from tests.support.platform_repo import PlatformRepo, write_env_template


def test_a_link_out_of_the_bundle_folder_is_refused_unread(tmp_path: Path) -> None:
    repo = PlatformRepo(tmp_path / "repo")
    write_env_template(repo)
    secret = tmp_path / "credentials"
    secret.write_text("TOPSECRET-bundle\n")
    template = repo.root / "templates/env/v1/infrastructure/cloudformation.yaml"
    template.unlink()
    os.symlink(secret, template)
    with pytest.raises(SpecError) as caught:
        read_bundle_dir(repo.root / "templates/env/v1")
    [problem] = caught.value.problems
    assert problem.file == str(template)
    assert "symbolic link out of the bundle folder" in problem.message
    assert "TOPSECRET" not in str(caught.value)


def test_a_link_inside_the_bundle_folder_is_read(tmp_path: Path) -> None:
    repo = PlatformRepo(tmp_path / "repo")
    write_env_template(repo)
    folder = repo.root / "templates/env/v1/infrastructure"
    (folder / "cloudformation.yaml").rename(folder / "body.yaml")
    os.symlink("body.yaml", folder / "cloudformation.yaml")
    bundle = read_bundle_dir(repo.root / "templates/env/v1")
    assert "AWS::EC2::VPC" in bundle.infrastructure["infrastructure"].source
