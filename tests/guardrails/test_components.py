"""Guardrails judge a developer's component like any other body (issue 11)."""

from __future__ import annotations

from pathlib import Path

from tests.guardrails.test_validate import validate
from tests.support.platform_repo import MANIFEST, example_platform

COMPONENT = "component/menu-api/test/uploads"
# A developer's extra bucket next to menu-api: not encrypted, not private.
UPLOADS = """
AWSTemplateFormatVersion: '2010-09-09'
Description: Uploads of {{ service.name }} in {{ environment.name }}
Resources:
  Uploads:
    Type: AWS::S3::Bucket
Outputs:
  BucketName:
    Value: !Ref Uploads
"""


def test_the_example_policies_deny_a_components_public_unencrypted_bucket(
    tmp_path: Path,
) -> None:
    repo = example_platform(tmp_path / "repo")
    repo.write("services/menu-api/components/uploads/manifest.yaml", MANIFEST)
    repo.write("services/menu-api/components/uploads/cloudformation.yaml", UPLOADS)
    spec = repo.root / "services/menu-api.yaml"
    line = "      environment: test\n"
    spec.write_text(spec.read_text().replace(line, line + "      components: [uploads]\n", 1))
    repo.commit("menu-api: an uploads bucket next to the test instance")

    code, out = validate(repo.root, tmp_path)

    assert code == 1
    denied = {e["message"].split(":")[1].strip() for e in out["errors"] if e["field"] == COMPONENT}
    assert "guardrail s3_encrypted denies Uploads" in denied, out["errors"]
    assert all(e["field"] == COMPONENT for e in out["errors"]), out["errors"]
