"""Bad input to ``goldenpath import``: a clear error, exit 1, nothing written anywhere."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest

from emulator.server import EmbeddedEmulator
from tests.adoption.cli import READ_ACTIONS, accounts_file, calls, run_import
from tests.support import proton_estate as tutorial

pytestmark = [pytest.mark.corpus, pytest.mark.slow]


@pytest.fixture(autouse=True)
def _count_calls(embedded: EmbeddedEmulator) -> None:
    httpx.delete(f"{embedded.url}/_goldenpath/calls").raise_for_status()


def only_reads(url: str) -> bool:
    return all(action.startswith(READ_ACTIONS) for action in calls(url))


def test_a_malformed_accounts_file_names_the_file_and_field(
    estate: tutorial.TutorialEstate,
    embedded: EmbeddedEmulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    accounts = tmp_path / "accounts.yaml"
    accounts.write_text("accounts:\n  - {id: 111111111111, region: us-west-2}\n")

    code, document = run_import(
        capsys, embedded.url, accounts=accounts, templates=estate.templates, out=tmp_path / "out"
    )

    assert code == 1
    assert document["errors"] == [
        f"{accounts}:2 accounts[0].id: expected a 12-digit account id as a string "
        "(quote it: YAML reads digits as a number)"
    ]
    assert not (tmp_path / "out").exists()
    assert calls(embedded.url) == {}


def test_an_accounts_file_that_is_not_a_list_of_accounts_is_refused(
    estate: tutorial.TutorialEstate,
    embedded: EmbeddedEmulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    accounts = tmp_path / "accounts.yaml"
    accounts.write_text("- 111111111111\n")

    code, document = run_import(
        capsys, embedded.url, accounts=accounts, templates=estate.templates, out=tmp_path / "out"
    )

    assert code == 1
    assert "expected 'accounts:', a list of {id, region, roleArn}" in document["errors"][0]


def test_a_missing_templates_folder_is_refused(
    estate: tutorial.TutorialEstate,
    embedded: EmbeddedEmulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, document = run_import(
        capsys,
        embedded.url,
        accounts=accounts_file(tmp_path / "accounts.yaml", estate.accounts.all()),
        templates=tmp_path / "no-such-folder",
        out=tmp_path / "out",
    )

    assert code == 1
    assert document["errors"] == [
        f"--templates {tmp_path / 'no-such-folder'}: not a folder (expected <name>/v<N>/ bundles)"
    ]
    assert calls(embedded.url) == {}


def test_a_spec_for_a_unit_that_is_not_found_is_refused(
    estate: tutorial.TutorialEstate,
    embedded: EmbeddedEmulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    specs = {"environment/Beta": estate.spec_files[f"environment/{tutorial.TEST_ENV}"]}

    code, document = run_import(
        capsys,
        embedded.url,
        accounts=accounts_file(tmp_path / "accounts.yaml", estate.accounts.all()),
        templates=estate.templates,
        out=tmp_path / "out",
        specs=specs,
    )

    assert code == 1
    (error,) = document["errors"]
    assert error.startswith(f"--spec environment/Beta={specs['environment/Beta']}: no Proton")
    assert f"found: {tutorial.PRODUCTION_ENV}, {tutorial.TEST_ENV}" in error
    assert not (tmp_path / "out").exists()
    assert only_reads(embedded.url)


def test_a_spec_file_of_the_wrong_kind_names_the_file_and_field(
    estate: tutorial.TutorialEstate,
    embedded: EmbeddedEmulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    wrong = {f"environment/{tutorial.TEST_ENV}": estate.spec_files["service/my-webapp"]}

    code, document = run_import(
        capsys,
        embedded.url,
        accounts=accounts_file(tmp_path / "accounts.yaml", estate.accounts.all()),
        templates=estate.templates,
        out=tmp_path / "out",
        specs=wrong,
    )

    assert code == 1
    path = estate.spec_files["service/my-webapp"]
    assert document["errors"] == [
        f"{path}:1 proton: expected 'proton: EnvironmentSpec', found 'ServiceSpec'"
    ]


def test_an_existing_repo_with_a_conflicting_file_gets_nothing_written(
    estate: tutorial.TutorialEstate,
    embedded: EmbeddedEmulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo = tmp_path / "platform"
    repo.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    mine = "# the team's own service spec\n"
    (repo / "services").mkdir()
    (repo / "services" / "my-webapp.yaml").write_text(mine)

    code, document = run_import(
        capsys,
        embedded.url,
        accounts=accounts_file(tmp_path / "accounts.yaml", estate.accounts.all()),
        templates=estate.templates,
        out=repo,
        specs=estate.spec_files,
    )

    assert code == 1
    assert any(
        e.startswith(f"{repo}/services/my-webapp.yaml: exists with other content; refusing")
        for e in document["errors"]
    )
    assert document["written"] == []
    assert (repo / "services" / "my-webapp.yaml").read_text() == mine
    assert sorted(p.name for p in repo.iterdir()) == [".git", "services"]
    assert only_reads(embedded.url)


def test_an_existing_repo_gets_the_new_files_uncommitted(
    estate: tutorial.TutorialEstate,
    embedded: EmbeddedEmulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo = tmp_path / "platform"
    repo.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)

    code, document = run_import(
        capsys,
        embedded.url,
        accounts=accounts_file(tmp_path / "accounts.yaml", estate.accounts.all()),
        templates=estate.templates,
        out=repo,
        specs=estate.spec_files,
    )

    assert code == 0
    assert "services/my-webapp.yaml" in document["written"]
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout
    assert "?? services/" in status
