"""The fast body reader gives what cfn-lint's decoder gives, and refuses what it refuses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode.decode import decode_str

from reconciler.desired.retention import check_parses_only, retain_data
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


BAD_BODIES = [
    "Resources:\n  A: [unclosed\n",
    "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n  Bucket: {}\n",
    "x: !!python/object/apply:os.system ['true']\n",
    "- just\n- a list\n",
    "plain text\n",
    "a: 1\n---\nb: 2\n",
    "\n".join(
        ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
        + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 7)]
    ),
]


@pytest.mark.parametrize("body", BAD_BODIES)
def test_the_parse_only_check_refuses_what_retention_refuses(body: str) -> None:
    with pytest.raises(RenderError):
        retain_data(body, file="t.yaml")
    with pytest.raises(RenderError):
        check_parses_only(body, file="t.yaml")


def test_the_parse_only_check_accepts_every_body_of_the_example() -> None:
    result = validate_snapshot(WorkingTree(EXAMPLE_REPO).snapshot(), renderer=Renderer())
    for rendered in result.rendered.values():
        check_parses_only(rendered.body, file="t.yaml")
    check_parses_only(SHORT_FORMS, file="t.yaml")
    check_parses_only('{"Resources": {}}', file="t.yaml")
    check_parses_only("", file="t.yaml")


TRICKY = "a: yes\nb: 0o17\nc: 017\nd: 1_000\ne: .inf\nf: ~\ng: 2020-01-02\nh: 1e3\ni: 'x'\n"


@pytest.mark.parametrize("text", [TRICKY, "%YAML 1.1\n---\n" + TRICKY])
def test_scalars_are_typed_as_ruamel_types_them_however_often_seen(text: str) -> None:
    from ruamel.yaml import YAML

    from reconciler.specs.yaml import load_documents

    expected = {
        k: v if isinstance(v, (int, float, bool, type(None))) else str(v)
        for k, v in YAML(typ="safe").load(text).items()
    }
    for _ in range(2):  # the second time from what was remembered
        [doc] = load_documents(text, "f.yaml")
        assert doc.data == expected
