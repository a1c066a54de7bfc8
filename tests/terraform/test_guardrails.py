"""Guardrails over Terraform units: Rego reads the unit's HCL, parsed, as ``input.terraform``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

from reconciler.desired.build import build_desired
from reconciler.desired.rendering import render_unit
from reconciler.guardrails import GuardrailSettings
from reconciler.render import Renderer
from reconciler.source.worktree import WorkingTree
from tests.support.platform_repo import PlatformRepo, write_environment, write_teams
from tests.support.terraform_repo import write_tf_env_template

GOLDENPATH = str(Path(sys.executable).parent / "goldenpath")
EXAMPLE_POLICIES = Path(__file__).resolve().parents[2] / "platform-repo-example/policies"

# docs/guardrails.md's example. Encrypted: a server_side_encryption_configuration block
# (AWS provider < 4), or an aws_s3_bucket_server_side_encryption_configuration resource
# naming the bucket (>= 4).
POLICY = """
package goldenpath.guardrails

import rego.v1

deny contains {"rule": "s3_encrypted", "resource": address, "message": msg} if {
\tsome name, bucket in input.terraform.resource.aws_s3_bucket
\tcount(object.get(bucket, "server_side_encryption_configuration", [])) == 0
\tnot encrypted_separately(name)
\taddress := sprintf("aws_s3_bucket.%s", [name])
\tmsg := "the bucket is not encrypted: add server-side encryption"
}

encrypted_separately(name) if {
\tsome config in input.terraform.resource.aws_s3_bucket_server_side_encryption_configuration
\tconfig.bucket == sprintf("${aws_s3_bucket.%s.id}", [name])
}

warn contains {"rule": "env_inputs", "resource": "", "message": msg} if {
\tinput.unit.kind == "environment"
\tprefix := input.terraform.values.environment.inputs.bucket_prefix
\tprefix == "logs"
\tmsg := "bucket_prefix is the default"
}
"""

UNENCRYPTED = """
resource "aws_s3_bucket" "logs" {
  bucket_prefix = var.environment.inputs.bucket_prefix
}
"""

ENCRYPTED_OLD_STYLE = """
resource "aws_s3_bucket" "logs" {
  bucket_prefix = var.environment.inputs.bucket_prefix

  server_side_encryption_configuration {
    rule {
      apply_server_side_encryption_by_default {
        sse_algorithm = "aws:kms"
      }
    }
  }
}
"""

ENCRYPTED_NEW_STYLE = (
    UNENCRYPTED
    + """
resource "aws_s3_bucket_server_side_encryption_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}
"""
)


def platform(root: Path, main: str) -> PlatformRepo:
    repo = PlatformRepo(root)
    write_teams(repo)
    write_tf_env_template(repo, main=main)
    write_environment(repo, "test", template="tfenv")
    repo.write("policies/terraform.rego", POLICY)
    repo.commit("a Terraform environment, guarded")
    return repo


def validate(repo: PlatformRepo, cwd: Path) -> tuple[int, dict[str, Any]]:
    done = subprocess.run(
        [
            GOLDENPATH,
            "validate",
            str(repo.root),
            "--no-lint",
            "--output",
            "json",
            "--state",
            f"sqlite:///{cwd / 'state.db'}",
        ],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "GOLDENPATH_TODAY": "2027-01-01"},
    )
    return done.returncode, json.loads(done.stdout)


def test_an_unencrypted_bucket_in_hcl_is_denied_at_its_block(tmp_path: Path) -> None:
    repo = platform(tmp_path / "repo", UNENCRYPTED)
    code, out = validate(repo, tmp_path)
    assert code == 1
    assert out["errors"] == [
        {
            "file": "templates/tfenv/v1/infrastructure/main.tf",
            "line": 1,
            "field": "environment/test",
            "message": "guardrail s3_encrypted denies aws_s3_bucket.logs: "
            "the bucket is not encrypted: add server-side encryption",
        }
    ]
    [warning] = out["warnings"]
    assert "env_inputs warns about the template: bucket_prefix is the default" in warning["message"]


def test_encryption_either_way_passes(tmp_path: Path) -> None:
    for n, main in enumerate((ENCRYPTED_OLD_STYLE, ENCRYPTED_NEW_STYLE)):
        repo = platform(tmp_path / f"repo{n}", main)
        code, out = validate(repo, tmp_path)
        assert (code, out["errors"]) == (0, []), main


def test_plan_denies_the_unit(tmp_path: Path) -> None:
    from goldenpath.noop_mark import OfflineCloud
    from reconciler.apply.engine import Reconciler
    from reconciler.state import StateStore

    repo = platform(tmp_path / "repo", UNENCRYPTED)
    with StateStore.open(f"sqlite:///{tmp_path / 'state.db'}") as store:
        planned = Reconciler(store, OfflineCloud()).plan(WorkingTree(repo.root).snapshot())
    item = planned.plan.of("environment/test")
    assert item is not None and item.action == "denied"
    assert "s3_encrypted" in item.reason and "aws_s3_bucket.logs" in item.reason


def test_cloudformation_policies_say_nothing_of_terraform_units(tmp_path: Path) -> None:
    """The example's policies read input.template: absent for a Terraform unit."""
    repo = platform(tmp_path / "repo", UNENCRYPTED)
    shutil.rmtree(repo.root / "policies")
    shutil.copytree(EXAMPLE_POLICIES, repo.root / "policies")
    build = build_desired(WorkingTree(repo.root).snapshot())
    snapshot = WorkingTree(repo.root).snapshot()
    guard = GuardrailSettings(date(2027, 1, 1)).of_repo(snapshot.files, build.specs.platform)
    assert guard is not None and guard.failure is None
    rendered = render_unit(
        build.state.units["environment/test"], build.state, Renderer(), dict().get
    )
    verdict = guard.check(rendered)
    assert (verdict.error, verdict.denials, verdict.warnings) == (None, (), ())
