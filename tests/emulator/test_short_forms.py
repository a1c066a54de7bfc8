"""Short-form functions in YAML templates read as CloudFormation reads them: a mapping as
the argument (``!GetAZs {Ref: 'AWS::Region'}``), and ``!Condition`` inside conditions.

Each template is deployed over HTTP with boto3; its long form, deployed beside it, must
give the same outputs. The canaries switch the fix off and assert stock moto's bug.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from emulator.fixes import disabled
from tests.emulator.probes import outputs_of, stack_of
from tests.emulator.test_fixes import create, failure_reasons, no_longer_needed

Names = Callable[[str], str]

# Every short form with a mapping somewhere in its argument; the outputs say what came out.
MAPPING_ARGUMENTS = """
Parameters:
  Name: {Type: String, Default: web}
  Sizes: {Type: String, Default: "small,large"}
Mappings:
  Regions:
    us-west-2: {Short: usw2}
Conditions:
  IsWeb: !Equals [{Ref: Name}, web]
  NotWeb: !Not [{"Fn::Equals": [{Ref: Name}, web]}]
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.0.0.0/16}
  Subnet:
    Type: AWS::EC2::Subnet
    Properties:
      VpcId: !Ref Vpc
      CidrBlock: 10.0.1.0/24
      AvailabilityZone: !Select [1, !GetAZs {Ref: 'AWS::Region'}]
  Launch:
    Type: AWS::EC2::LaunchTemplate
    Properties:
      LaunchTemplateData:
        UserData: !Base64 {"Fn::Sub": "echo ${Name}"}
Outputs:
  Zone: {Value: !GetAtt Subnet.AvailabilityZone}
  Zones: {Value: !Join [",", !GetAZs {Ref: 'AWS::Region'}]}
  Encoded: {Value: !Base64 {Ref: Name}}
  Second: {Value: !Select [1, !Split [",", {Ref: Sizes}]]}
  Joined:
    Value: !Join ["-", [a, {Ref: Name}, {"Fn::FindInMap": [Regions, {Ref: 'AWS::Region'}, Short]}]]
  Found: {Value: !FindInMap [Regions, {Ref: 'AWS::Region'}, Short]}
  Substituted: {Value: !Sub ["${N}-${AWS::Region}", {N: {Ref: Name}}]}
  Chosen: {Value: !If [IsWeb, {Ref: Name}, {"Fn::Sub": "not-web"}]}
  Negated: {Value: !If [NotWeb, "yes", "no"]}
  Exported:
    Value: !Ref Name
    Export: {Name: !Sub "${AWS::StackName}-name"}
"""

EXPECTED = {
    "Zone": "us-west-2b",
    "Zones": "us-west-2a,us-west-2b,us-west-2c,us-west-2d",  # as moto's EC2 lists them
    "Encoded": "d2Vi",  # base64("web")
    "Second": "large",
    "Joined": "a-web-usw2",
    "Found": "usw2",
    "Substituted": "web-us-west-2",
    "Chosen": "web",
    "Negated": "no",
}

# The same functions in the long form, which stock moto reads right.
LONG_FORM = {
    "Zone": {"Fn::Select": [1, {"Fn::GetAZs": {"Ref": "AWS::Region"}}]},
    "Zones": {"Fn::Join": [",", {"Fn::GetAZs": {"Ref": "AWS::Region"}}]},
    "Encoded": {"Fn::Base64": {"Ref": "Name"}},
    "Second": {"Fn::Select": [1, {"Fn::Split": [",", {"Ref": "Sizes"}]}]},
    "Found": {"Fn::FindInMap": ["Regions", {"Ref": "AWS::Region"}, "Short"]},
    "Substituted": {"Fn::Sub": ["${N}-${AWS::Region}", {"N": {"Ref": "Name"}}]},
}


def importer(exporter: str) -> str:
    """A stack that imports the exporter's value through ``!ImportValue {Fn::Sub: ...}``."""
    return f"""
Parameters:
  Exporter: {{Type: String, Default: {exporter}}}
Resources:
  Topic: {{Type: AWS::SNS::Topic}}
Outputs:
  Imported: {{Value: !ImportValue {{"Fn::Sub": "${{Exporter}}-name"}}}}
"""


def test_short_forms_with_a_mapping_argument_resolve(cfn: Any, names: Names) -> None:
    stack = create(cfn, names("short"), MAPPING_ARGUMENTS)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failure_reasons(cfn, stack["StackName"])
    outputs = outputs_of(stack)
    assert {key: outputs[key] for key in EXPECTED} == EXPECTED


def test_the_long_forms_give_the_same_outputs(cfn: Any, names: Names) -> None:
    body = {
        "Parameters": {
            "Name": {"Type": "String", "Default": "web"},
            "Sizes": {"Type": "String", "Default": "small,large"},
        },
        "Mappings": {"Regions": {"us-west-2": {"Short": "usw2"}}},
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {key: {"Value": value} for key, value in LONG_FORM.items()},
    }
    stack = create(cfn, names("long"), json.dumps(body))
    assert stack["StackStatus"] == "CREATE_COMPLETE", failure_reasons(cfn, stack["StackName"])
    assert outputs_of(stack) == {key: EXPECTED[key] for key in LONG_FORM}


def test_import_value_of_a_substituted_name(cfn: Any, names: Names) -> None:
    exporter = create(cfn, names("exporter"), MAPPING_ARGUMENTS)
    assert exporter["StackStatus"] == "CREATE_COMPLETE"
    stack = create(cfn, names("importer"), importer(exporter["StackName"]))
    assert stack["StackStatus"] == "CREATE_COMPLETE", failure_reasons(cfn, stack["StackName"])
    assert outputs_of(stack) == {"Imported": "web"}


def test_a_short_form_mapping_is_read_in_a_change_set_too(cfn: Any, names: Names) -> None:
    name = names("changeset")
    cfn.create_change_set(
        StackName=name,
        ChangeSetName="first",
        ChangeSetType="CREATE",
        TemplateBody=MAPPING_ARGUMENTS,
    )
    cfn.execute_change_set(StackName=name, ChangeSetName="first")
    stack = stack_of(cfn, name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failure_reasons(cfn, name)
    assert outputs_of(stack)["Zone"] == "us-west-2b"


def test_stock_moto_still_mis_reads_a_short_form_mapping_argument(cfn: Any, names: Names) -> None:
    with disabled("short-form-mapping"):
        stack = create(cfn, names("short"), MAPPING_ARGUMENTS)
    reasons = failure_reasons(cfn, stack["StackName"])
    no_longer_needed(
        "short-form-mapping",
        stack["StackStatus"] != "CREATE_COMPLETE" and "KeyError" in reasons and "Node" in reasons,
        "mis-reads !GetAZs {Ref: 'AWS::Region'} (a short form with a mapping argument)",
    )


# ---- short-form-condition ----------------------------------------------------------------------

CONDITIONS = """
Parameters:
  Stage: {Type: String, Default: production}
Conditions:
  IsProduction: !Equals [!Ref Stage, production]
  IsStaging: !Equals [!Ref Stage, staging]
  ProductionInWest: !And [!Condition IsProduction, !Equals [!Ref 'AWS::Region', us-west-2]]
  NotProduction: !Not [!Condition IsProduction]
  Deployed: !Or [!Condition IsStaging, !Condition IsProduction]
Resources:
  Alarms: {Type: AWS::SNS::Topic, Condition: ProductionInWest}
  Scratch: {Type: AWS::SNS::Topic, Condition: NotProduction}
Outputs:
  ProductionInWest: {Value: !If [ProductionInWest, "yes", "no"]}
  NotProduction: {Value: !If [NotProduction, "yes", "no"]}
  Deployed: {Value: !If [Deployed, "yes", "no"]}
"""


def resources_of(cfn: Any, name: str) -> list[str]:
    found = cfn.describe_stack_resources(StackName=name)["StackResources"]
    return sorted(resource["LogicalResourceId"] for resource in found)


@pytest.mark.parametrize(
    ("stage", "expected", "resources"),
    [
        (
            "production",
            {"ProductionInWest": "yes", "NotProduction": "no", "Deployed": "yes"},
            ["Alarms"],
        ),
        (
            "staging",
            {"ProductionInWest": "no", "NotProduction": "yes", "Deployed": "yes"},
            ["Scratch"],
        ),
        ("test", {"ProductionInWest": "no", "NotProduction": "yes", "Deployed": "no"}, ["Scratch"]),
    ],
)
def test_short_form_condition_refers_to_another_condition(
    cfn: Any, names: Names, stage: str, expected: dict[str, str], resources: list[str]
) -> None:
    stack = create(
        cfn,
        names("conditions"),
        CONDITIONS,
        Parameters=[{"ParameterKey": "Stage", "ParameterValue": stage}],
    )
    assert stack["StackStatus"] == "CREATE_COMPLETE", failure_reasons(cfn, stack["StackName"])
    assert outputs_of(stack) == expected
    assert resources_of(cfn, stack["StackName"]) == resources


def test_stock_moto_still_mis_reads_short_form_condition(cfn: Any, names: Names) -> None:
    with disabled("short-form-condition"):
        stack = create(cfn, names("conditions"), CONDITIONS)
    no_longer_needed(
        "short-form-condition",
        outputs_of(stack).get("ProductionInWest") != "yes"
        or outputs_of(stack).get("NotProduction") != "no",
        "mis-reads !Condition inside !And / !Not",
    )
