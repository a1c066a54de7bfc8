"""``goldenpath import`` against a Proton estate in the emulator, over HTTP, into real git repos.

One tutorial estate (chapter 1, deployed as Proton deployed it) serves the module; each
test imports it into a folder of its own. Tests that need stacks of their own put them
in accounts of their own.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import httpx
import pytest

from emulator.proton import ProtonDeployer, ProtonStack, proton_tags
from emulator.server import EmbeddedEmulator
from tests.adoption.cli import READ_ACTIONS, accounts_file, calls, run_import, units, validate
from tests.adoption.conftest import fresh_tutorial_accounts
from tests.support import proton_estate as tutorial
from tests.support.tutorial import PRODUCTION_ENV, TEST_ENV

pytestmark = [pytest.mark.corpus, pytest.mark.slow]


def test_with_the_spec_files_every_unit_matches_and_the_repo_validates(
    estate: tutorial.TutorialEstate,
    embedded: EmbeddedEmulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "platform"
    code, document = run_import(
        capsys,
        embedded.url,
        accounts=accounts_file(tmp_path / "accounts.yaml", estate.accounts.all()),
        templates=estate.templates,
        out=out,
        specs=estate.spec_files,
    )

    assert code == 0, document["errors"]
    found = units(document)
    assert set(found) == set(tutorial.UNITS)
    for unit_id, made in estate.stacks.items():
        unit = found[unit_id]
        assert unit["result"] == "matches exactly", unit["diff"]
        assert (unit["version"], unit["inputsFrom"]) == ("1.0", "spec")
        assert (unit["stackName"], unit["stackId"], unit["account"]) == (
            made.stack_name,
            made.stack_id,
            made.account,
        )
    result = validate(capsys, out, tmp_path / "state.db")
    assert result["ok"], result["errors"]
    assert {u["id"]: u["stack_name"] for u in result["units"]} == {
        unit: made.stack_name for unit, made in estate.stacks.items()
    }
    log = subprocess.run(
        ["git", "log", "--oneline"], cwd=out, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert len(log) == 1
    service = (out / "services" / "my-webapp.yaml").read_text()
    assert "provider: github" in service and tutorial.REPOSITORY in service
    assert (out / "templates" / "lb-fargate-svc" / "v1" / "schema" / "schema.yaml").is_file()
    platform = (out / "goldenpath.yaml").read_text()
    assert f"id: '{estate.accounts.pipelines}'" in platform


def test_without_spec_files_the_inputs_are_read_back_from_the_live_templates(
    estate: tutorial.TutorialEstate,
    embedded: EmbeddedEmulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "platform"
    code, document = run_import(
        capsys,
        embedded.url,
        accounts=accounts_file(tmp_path / "accounts.yaml", estate.accounts.all()),
        templates=estate.templates,
        out=out,
    )

    assert code == 0, document["errors"]
    found = units(document)
    assert all(u["result"] == "matches exactly" for u in found.values())
    assert all(u["inputsFrom"] == "live" for u in found.values())
    for env in (TEST_ENV, PRODUCTION_ENV):
        assert found[f"environment/{env}"]["inputs"]["vpc_cidr"] == "10.0.0.0/16"
        assert found[f"environment/{env}"]["written"] == {}  # all defaults
    for instance, content in (
        ("test", tutorial.TEST_CONTENT),
        ("production", tutorial.PRODUCTION_CONTENT),
    ):
        inputs = found[f"service/my-webapp/{instance}"]["inputs"]
        assert inputs["desired_count"] == 2
        assert inputs["port"] == 80
        assert inputs["task_size"] == "medium"
        assert inputs["indexhtmlcontent"] == content
    assert found["pipeline/my-webapp"]["inputs"]["unit_test_command"] == "ls"
    assert validate(capsys, out, tmp_path / "state.db")["ok"]
    # The pipeline lists test before production, so the spec does too.
    service = (out / "services" / "my-webapp.yaml").read_text()
    assert service.index("name: test") < service.index("name: production")


def test_what_cannot_be_read_back_is_named_and_embedded_values_are_read(
    embedded: EmbeddedEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    account = fresh_tutorial_accounts().test
    bundle = tmp_path / "templates" / "bucket-env" / "v1"
    (bundle / "schema").mkdir(parents=True)
    (bundle / "schema" / "schema.yaml").write_text(BUCKET_SCHEMA)
    (bundle / "infrastructure").mkdir()
    (bundle / "infrastructure" / "manifest.yaml").write_text(MANIFEST)
    (bundle / "infrastructure" / "cloudformation.yaml").write_text(BUCKET_TEMPLATE)
    body = BUCKET_TEMPLATE.replace("{{ environment.inputs.prefix }}", "shop").replace(
        "{% if environment.inputs.versioned %}\n      DelaySeconds: 5\n{% endif %}",
        "",
    )
    tags = proton_tags(
        "environment",
        region="us-west-2",
        management_account=account,
        template="bucket-env",
        environment="data",
    )
    ProtonDeployer(embedded.url).deploy(
        ProtonStack("environment", account, "us-west-2", "data", body, tags)
    )

    code, document = run_import(
        capsys,
        embedded.url,
        accounts=accounts_file(tmp_path / "accounts.yaml", (account,)),
        templates=tmp_path / "templates",
        out=tmp_path / "platform",
    )

    unit = units(document)["environment/data"]
    assert unit["inputs"]["prefix"] == "shop"  # read out of "${AWS::StackName}-shop-logs"
    assert any(line.startswith("versioned: not recovered") for line in unit["unrecovered"])
    assert unit["result"] == "matches exactly"  # the default (false) renders the live body
    assert code == 0


def test_a_stack_with_missing_or_malformed_tags_is_reported_and_the_others_import(
    estate: tutorial.TutorialEstate,
    embedded: EmbeddedEmulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    stray = fresh_tutorial_accounts().test
    deployer = ProtonDeployer(embedded.url)
    untagged = deployer.deploy(ProtonStack("environment", stray, "us-west-2", "x", QUEUE, {}))
    malformed = deployer.deploy(
        ProtonStack(
            "environment",
            stray,
            "us-west-2",
            "y",
            QUEUE,
            {"proton:environment": "Beta", "proton:template": "vpc"},
        )
    )
    code, document = run_import(
        capsys,
        embedded.url,
        accounts=accounts_file(tmp_path / "accounts.yaml", (*estate.accounts.all(), stray)),
        templates=estate.templates,
        out=tmp_path / "platform",
        specs=estate.spec_files,
    )

    assert code == 1
    errors = "\n".join(document["errors"])
    assert f"{untagged.stack_name} ({stray}/us-west-2): no proton:* tags" in errors
    assert f"{malformed.stack_name} ({stray}/us-west-2): tag proton:environment is 'Beta'" in errors
    assert "expected a Proton ARN" in errors
    assert all(u["result"] == "matches exactly" for u in document["units"])
    assert len(document["units"]) == len(tutorial.UNITS)
    assert (tmp_path / "platform" / "services" / "my-webapp.yaml").is_file()


def test_the_import_only_reads_the_cloud(
    estate: tutorial.TutorialEstate,
    embedded: EmbeddedEmulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    httpx.delete(f"{embedded.url}/_goldenpath/calls").raise_for_status()
    code, _document = run_import(
        capsys,
        embedded.url,
        accounts=accounts_file(tmp_path / "accounts.yaml", estate.accounts.all()),
        templates=estate.templates,
        out=tmp_path / "platform",
    )

    made = calls(embedded.url)
    assert code == 0
    assert made.get("DescribeStacks") and made.get("GetTemplate")
    assert [a for a in made if not a.startswith(READ_ACTIONS)] == []


MANIFEST = """infrastructure:
  templates:
    - file: "cloudformation.yaml"
      rendering_engine: jinja
      template_language: cloudformation
"""
BUCKET_SCHEMA = """schema:
  format:
    openapi: "3.0.0"
  environment_input_type: "BucketInput"
  types:
    BucketInput:
      type: object
      properties:
        prefix:
          type: string
        versioned:
          type: boolean
          default: false
"""
BUCKET_TEMPLATE = """Resources:
  Logs:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub "${AWS::StackName}-{{ environment.inputs.prefix }}-logs"
{% if environment.inputs.versioned %}
      DelaySeconds: 5
{% endif %}
Outputs:
  LogsQueue:
    Value: !Ref Logs
"""
QUEUE = """Resources:
  Queue:
    Type: AWS::SQS::Queue
"""


def test_people_get_a_table_per_unit_and_a_summary(
    estate: tutorial.TutorialEstate,
    embedded: EmbeddedEmulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from goldenpath.cli import main

    accounts = accounts_file(tmp_path / "accounts.yaml", estate.accounts.all())
    capsys.readouterr()
    code = main(
        [
            "import",
            "--accounts",
            str(accounts),
            "--templates",
            str(estate.templates),
            "--out",
            str(tmp_path / "platform"),
            "--aws-endpoint-url",
            embedded.url,
        ]
    )

    text = capsys.readouterr().out
    assert code == 0
    made = estate.stacks["pipeline/my-webapp"]
    row = rf"pipeline/my-webapp +{made.account}/{made.stack_name} +1\.0 +matches exactly"
    assert re.search(row, text), text
    assert "import: 5 unit(s): 5 match exactly, 0 differ, 0 failed" in text
    assert "instances listed in the order the live pipeline has them" in text
