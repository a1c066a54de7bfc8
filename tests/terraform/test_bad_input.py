"""Wrong Terraform bundles get clear errors, at file and line, through the command line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.errors import SpecError
from reconciler.templates.bundle import read_bundle_dir
from tests.support.platform_repo import PlatformRepo, write_environment, write_teams
from tests.support.terraform_repo import write_tf_env_template

GOLDENPATH = str(Path(sys.executable).parent / "goldenpath")


def validate(
    repo: PlatformRepo, tmp_path: Path, env: dict[str, str] | None = None
) -> tuple[int, dict]:  # type: ignore[type-arg]
    """``goldenpath validate --no-lint --output json`` of ``repo``: its exit code and JSON."""
    import json

    done = subprocess.run(
        [
            GOLDENPATH,
            "validate",
            str(repo.root),
            "--no-lint",
            "--output",
            "json",
            "--state",
            f"sqlite:///{tmp_path / 'state.db'}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )
    return done.returncode, json.loads(done.stdout)


def tf_repo(root: Path) -> PlatformRepo:
    repo = PlatformRepo(root)
    write_teams(repo)
    write_tf_env_template(repo)
    write_environment(repo, "test", template="tfenv")
    return repo


def test_a_tf_repo_validates(tmp_path: Path) -> None:
    repo = tf_repo(tmp_path / "repo")
    repo.commit("tf")
    code, out = validate(repo, tmp_path)
    assert (code, out["errors"]) == (0, [])
    assert out["units"][0]["id"] == "environment/test"


def test_hcl_that_does_not_parse_is_an_error_at_its_file_and_line(tmp_path: Path) -> None:
    repo = tf_repo(tmp_path / "repo")
    repo.write(
        "templates/tfenv/v1/infrastructure/main.tf",
        'resource "aws_s3_bucket" "logs" {\n  bucket_prefix = \n}\n',
    )
    repo.commit("broken HCL")
    code, out = validate(repo, tmp_path)
    assert code == 1
    [error] = out["errors"]
    assert error["file"] == "templates/tfenv/v1/infrastructure/main.tf"
    assert error["line"] == 2  # Terraform too: "Invalid expression", on main.tf line 2
    assert error["field"] == "environment/test"
    assert "does not parse as HCL" in error["message"]


def test_a_template_no_unit_uses_is_parsed_too(tmp_path: Path) -> None:
    repo = tf_repo(tmp_path / "repo")
    write_tf_env_template(repo, "unused", main='output "x" {\n  value = "a\n}\n')
    repo.commit("an unused, broken template")
    code, out = validate(repo, tmp_path)
    assert code == 1
    assert [(e["file"], e["line"]) for e in out["errors"]] == [
        ("templates/unused/v1/infrastructure/main.tf", 2)
    ]


def test_an_unknown_template_language_names_the_allowed_ones(tmp_path: Path) -> None:
    repo = tf_repo(tmp_path / "repo")
    repo.write(
        "templates/tfenv/v1/infrastructure/manifest.yaml",
        """
        infrastructure:
          templates:
            - file: "*"
              rendering_engine: hcl
              template_language: pulumi
        """,
    )
    repo.commit("pulumi")
    code, out = validate(repo, tmp_path)
    assert code == 1
    # (A broken bundle's problems are listed once per unit that uses it, as for any bundle.)
    errors = [e for e in out["errors"] if e["file"].endswith("manifest.yaml")]
    assert {tuple(e.items()) for e in errors} == {
        tuple(
            {
                "file": "templates/tfenv/v1/infrastructure/manifest.yaml",
                "line": 5,
                "field": "infrastructure.templates[0].template_language",
                "message": "template_language 'pulumi' is not supported; expected one of: "
                "cloudformation, terraform",
            }.items()
        )
    }


def test_a_mismatched_rendering_engine_is_an_error(tmp_path: Path) -> None:
    repo = tf_repo(tmp_path / "repo")
    repo.write(
        "templates/tfenv/v1/infrastructure/manifest.yaml",
        TF_JINJA := """
        infrastructure:
          templates:
            - file: "*"
              rendering_engine: jinja
              template_language: terraform
        """,
    )
    assert TF_JINJA
    repo.commit("jinja terraform")
    code, out = validate(repo, tmp_path)
    assert code == 1
    error = next(e for e in out["errors"] if e["file"].endswith("manifest.yaml"))
    assert error["field"] == "infrastructure.templates[0].rendering_engine"
    assert "expected 'hcl'" in error["message"]


def test_a_tf_symlink_out_of_the_repo_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "secret.tf"
    outside.write_text('output "secret" {\n  value = "s3cr3t"\n}\n')
    repo = tf_repo(tmp_path / "repo")
    os.symlink(outside, repo.root / "templates/tfenv/v1/infrastructure/secret.tf")
    code, out = validate(repo, tmp_path)
    assert code == 1
    text = str(out["errors"])
    assert "symbolic link" in text and "secret.tf" in text
    assert "s3cr3t" not in text
    with pytest.raises(SpecError, match="symbolic link out of the bundle folder"):
        read_bundle_dir(repo.root / "templates/tfenv/v1")


@pytest.mark.skipif(
    subprocess.run(["which", "terraform"], capture_output=True).returncode != 0,
    reason="no terraform binary on PATH",
)
def test_fmt_differences_are_warnings_naming_the_workflow_step(tmp_path: Path) -> None:
    repo = tf_repo(tmp_path / "repo")
    repo.write(
        "templates/tfenv/v1/infrastructure/main.tf",
        'resource "aws_s3_bucket" "logs" {\n  bucket_prefix = "a"\n  acl = "private"\n}\n',
    )
    repo.commit("unformatted")
    code, out = validate(repo, tmp_path)
    assert (code, out["errors"]) == (0, [])
    [warning] = out["warnings"]
    assert warning["file"] == "templates/tfenv/v1/infrastructure/main.tf"
    assert warning["line"] == 3  # `acl` is where fmt aligns the `=`
    assert "terraform fmt" in warning["message"]


def test_without_terraform_fmt_is_skipped_with_a_note(tmp_path: Path) -> None:
    repo = tf_repo(tmp_path / "repo")
    repo.commit("tf")
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin"}
    if any(Path(p, "terraform").exists() for p in ("/usr/bin", "/bin")):
        pytest.skip("terraform is installed in /usr/bin or /bin: cannot hide it")
    code, out = validate(repo, tmp_path, env)
    assert code == 0
    [note] = out["warnings"]
    assert "no terraform binary on PATH" in note["message"]


def test_a_stack_name_on_a_terraform_unit_is_an_error(tmp_path: Path) -> None:
    repo = tf_repo(tmp_path / "repo")
    repo.write(
        "environments/test.yaml",
        (repo.root / "environments/test.yaml").read_text()
        + "  stackName: AWSProton-test-cloudformation-ABCDEF\n",
    )
    repo.commit("adopt a stack for a Terraform environment")
    code, out = validate(repo, tmp_path)
    assert code == 1
    [error] = out["errors"]
    assert error["file"] == "environments/test.yaml"
    assert error["line"] == 9
    assert "is a Terraform unit: it has no CloudFormation stack to name or adopt" in (
        error["message"]
    )
