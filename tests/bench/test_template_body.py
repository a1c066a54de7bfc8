"""The fast body reader gives what cfn-lint's decoder gives, and refuses what it refuses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode.decode import decode_str

from reconciler.desired.retention import retain_data
from reconciler.desired.template_body import BodyError, load_body
from reconciler.errors import RenderError
from reconciler.render import Renderer
from reconciler.source.worktree import WorkingTree
from reconciler.validation import validate_snapshot
from tests.conftest import EXAMPLE_REPO


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, str):
        return str(node)
    return node


def _cfn_lint(body: str) -> Any:
    template, problems = decode_str(body)
    assert not problems
    return _plain(template)


SHORT_FORMS = """\
Conditions:
  IsProd: !Equals [!Ref Stage, production]
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Condition: IsProd
    Properties:
      BucketName: !Sub "${AWS::StackName}-data"
      Tags:
        - {Key: arn, Value: !GetAtt Queue.Arn}
        - {Key: nested, Value: !GetAtt [Queue, QueueName]}
        - {Key: joined, Value: !Join ["-", [!Ref "AWS::Region", !Select [0, !GetAZs ""]]]}
        - Key: mapped
          Value: !FindInMap [Map, !Ref "AWS::Region", {"Fn::If": [IsProd, a, b]}]
      Count: 3
      Ratio: 0.5
      Enabled: yes
      Nothing: ~
"""


def test_short_forms_read_as_cfn_lint_reads_them() -> None:
    assert load_body(SHORT_FORMS) == _cfn_lint(SHORT_FORMS)


def test_every_rendered_body_of_the_example_reads_as_cfn_lint_reads_it() -> None:
    result = validate_snapshot(WorkingTree(EXAMPLE_REPO).snapshot(), renderer=Renderer())
    assert result.rendered
    for rendered in result.rendered.values():
        assert load_body(rendered.body) == _cfn_lint(rendered.body), rendered.unit.id


def test_a_json_body_with_tabs_still_reads() -> None:
    body = '{\n\t"Resources": {"T": {"Type": "AWS::SNS::Topic"}}\n}'
    assert load_body(body) == {"Resources": {"T": {"Type": "AWS::SNS::Topic"}}}


def test_a_duplicate_key_is_refused_with_both_lines() -> None:
    with pytest.raises(BodyError, match="duplicate key 'Bucket' \\(lines 2 and 4\\)"):
        load_body("Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n  Bucket: {}\n")


def test_an_alias_bomb_is_refused() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 7)]
    with pytest.raises(BodyError, match="once YAML aliases are expanded"):
        load_body("\n".join(lines) + "\n")


def test_a_body_that_is_not_yaml_stalls_with_the_template_file_and_line() -> None:
    with pytest.raises(RenderError) as caught:
        retain_data("Resources:\n  A: [unclosed\n", file="templates/t/v1/x/cloudformation.yaml")
    problem = caught.value.problem
    assert problem.file == "templates/t/v1/x/cloudformation.yaml"
    assert problem.line == 3 and "does not parse as CloudFormation" in problem.message


def test_retention_rewrites_data_resources_and_keeps_explicit_snapshot(tmp_path: Path) -> None:
    body = (
        "Resources:\n"
        "  Table: {Type: 'AWS::DynamoDB::Table', DeletionPolicy: Delete}\n"
        "  Db: {Type: 'AWS::RDS::DBInstance', DeletionPolicy: Snapshot}\n"
        "  Topic: {Type: 'AWS::SNS::Topic'}\n"
    )
    rewritten, kept = retain_data(body, file="t.yaml")
    data = load_body(rewritten)["Resources"]
    assert data["Table"]["DeletionPolicy"] == "Retain"
    assert data["Table"]["UpdateReplacePolicy"] == "Retain"
    assert data["Db"]["DeletionPolicy"] == "Snapshot"
    assert "DeletionPolicy" not in data["Topic"]
    assert [k.logical_id for k in kept] == ["Table", "Db"]
