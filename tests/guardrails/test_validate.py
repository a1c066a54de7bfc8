"""``goldenpath validate`` with guardrails: the example's real policies on real renders."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.guardrails.platform import guarded_platform, write_bucket, write_platform

GOLDENPATH = str(Path(sys.executable).parent / "goldenpath")
TEMPLATE = "templates/bucket/v1/instance_infrastructure/cloudformation.yaml"


def validate(repo: Path, cwd: Path, today: str = "2027-01-01") -> tuple[int, dict[str, Any]]:
    done = subprocess.run(
        [
            GOLDENPATH,
            "validate",
            str(repo),
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
        env={**os.environ, "GOLDENPATH_TODAY": today},
    )
    try:
        return done.returncode, json.loads(done.stdout)
    except json.JSONDecodeError as exc:
        raise AssertionError(f"not JSON ({done.returncode}): {done.stdout}\n{done.stderr}") from exc


def test_a_clean_platform_validates_with_the_policies(tmp_path: Path) -> None:
    guarded_platform(tmp_path / "repo")
    code, out = validate(tmp_path / "repo", tmp_path)
    assert code == 0, out["errors"]
    assert out["warnings"] == []


def test_a_public_unencrypted_bucket_is_an_error_naming_unit_rule_resource_and_message(
    tmp_path: Path,
) -> None:
    repo = guarded_platform(tmp_path / "repo")
    write_bucket(repo, "leaky", "{encrypted: false, public: true}")
    repo.commit("a public, unencrypted bucket")
    code, out = validate(repo.root, tmp_path)
    assert code == 1
    found = {(e["field"], e["message"].split(":")[1].strip()) for e in out["errors"]}
    assert found == {
        ("service/leaky/test", "guardrail s3_encrypted denies Bucket"),
        ("service/leaky/test", "guardrail s3_public_access_blocked denies Bucket"),
    }
    encrypted = next(e for e in out["errors"] if "s3_encrypted" in e["message"])
    assert encrypted["file"] == TEMPLATE
    assert encrypted["line"] == 4  # "  Bucket:" in the rendered body
    assert encrypted["message"] == (
        "rendered line 4: guardrail s3_encrypted denies Bucket: the bucket is not encrypted: "
        "set BucketEncryption (SSE-S3 or SSE-KMS)"
    )


def test_a_warn_rule_shows_but_does_not_fail(tmp_path: Path) -> None:
    repo = guarded_platform(tmp_path / "repo")
    write_bucket(repo, "scratch", "{versioning: false}", env="production")
    repo.commit("a production bucket without versioning")
    code, out = validate(repo.root, tmp_path)
    assert code == 0 and out["errors"] == []
    assert [(w["field"], w["message"]) for w in out["warnings"]] == [
        (
            "service/scratch/production",
            "rendered line 4: guardrail s3_versioning warns about Bucket: versioning is off: "
            "an overwritten or deleted object cannot be recovered",
        )
    ]


def test_an_exception_lets_a_unit_through_until_it_expires(tmp_path: Path) -> None:
    repo = guarded_platform(tmp_path / "repo")
    write_bucket(repo, "legacy", "{encrypted: false}")
    write_platform(
        repo,
        """
        - rule: s3_encrypted
          units: ["service/legacy/*"]
          reason: encrypted by the application until the migration in March
          expires: 2027-03-01
        """,
    )
    repo.commit("legacy bucket, excepted")
    code, out = validate(repo.root, tmp_path, today="2027-01-01")
    assert code == 0, out["errors"]
    [excepted] = [w for w in out["warnings"] if w["field"] == "service/legacy/test"]
    assert "let through by the exception at goldenpath.yaml" in excepted["message"]
    assert "until 2027-03-01 (encrypted by the application" in excepted["message"]
    # Within 14 days of its end, validate says so on the exception itself.
    code, out = validate(repo.root, tmp_path, today="2027-02-20")
    assert code == 0
    assert any(
        w["file"] == "goldenpath.yaml" and "ends in 9 day(s) (2027-03-01)" in w["message"]
        for w in out["warnings"]
    )
    # Its last day still counts; the day after, the rule denies again and validate fails.
    assert validate(repo.root, tmp_path, today="2027-03-01")[0] == 0
    code, out = validate(repo.root, tmp_path, today="2027-03-02")
    assert code == 1
    messages = [(e["file"], e["field"], e["message"]) for e in out["errors"]]
    assert any(f == "service/legacy/test" and "s3_encrypted" in m for _, f, m in messages)
    assert any(
        file == "goldenpath.yaml"
        and field == "spec.guardrails.exceptions[0].expires"
        and "expired on 2027-03-01" in message
        for file, field, message in messages
    )


def test_an_exception_without_a_reason_is_invalid(tmp_path: Path) -> None:
    repo = guarded_platform(tmp_path / "repo")
    write_platform(
        repo,
        """
        - rule: s3_encrypted
          units: ["service/legacy/*"]
          expires: 2027-03-01
        """,
    )
    repo.commit("an exception with no reason")
    code, out = validate(repo.root, tmp_path)
    assert code == 1
    [error] = out["errors"]
    assert error["file"] == "goldenpath.yaml"
    assert error["field"] == "spec.guardrails.exceptions[0].reason"
    assert error["message"].startswith("missing required field 'reason'")


def test_an_exception_whose_expiry_is_not_a_day_is_invalid(tmp_path: Path) -> None:
    repo = guarded_platform(tmp_path / "repo")
    write_platform(
        repo,
        """
        - rule: s3_encrypted
          units: ["service/legacy/*"]
          reason: later
          expires: 2027-02-30
        """,
    )
    repo.commit("February 30th")
    code, out = validate(repo.root, tmp_path)
    assert code == 1
    [error] = out["errors"]
    assert (error["file"], error["line"]) == ("goldenpath.yaml", 12)  # expires: 2027-02-30
    assert "day is out of range for month" in error["message"]


def test_a_policy_that_runs_too_long_holds_every_unit_back_and_validate_ends(
    tmp_path: Path,
) -> None:
    repo = guarded_platform(tmp_path / "repo")
    repo.write(
        "policies/slow.rego",
        "package goldenpath.guardrails\nimport rego.v1\n"
        'deny contains {"rule": "slow", "resource": "Bucket", '
        '"message": sprintf("%d", [count(numbers.range(1, 50000000))])} if { true }\n',
    )
    repo.commit("a policy far too slow")
    done = subprocess.run(
        [GOLDENPATH, "validate", str(repo.root), "--no-lint", "--output", "json",
         "--state", f"sqlite:///{tmp_path / 'state.db'}"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={**os.environ, "GOLDENPATH_POLICY_TIMEOUT": "1"},
    )  # fmt: skip
    out = json.loads(done.stdout)
    assert done.returncode == 1
    messages = {e["message"] for e in out["errors"]}
    assert any("the policies did not finish within 1 s" in m for m in messages), messages
    assert all("a policy failed" in m for m in messages), messages
