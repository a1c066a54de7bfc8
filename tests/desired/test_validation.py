"""validate renders every unit and lints it; template mistakes point at the template."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.render import Linter, Renderer
from reconciler.source.worktree import WorkingTree
from reconciler.validation import validate_snapshot
from tests.support.platform_repo import small_platform

SVC = "templates/svc/v1/instance_infrastructure/cloudformation.yaml"


def validate(root: Path, lint: bool = False):  # type: ignore[no-untyped-def]
    return validate_snapshot(
        WorkingTree(root).snapshot(), renderer=Renderer(), linter=Linter() if lint else None
    )


def test_a_valid_platform_renders_every_unit_with_placeholders(tmp_path: Path) -> None:
    result = validate(small_platform(tmp_path).root)
    assert result.ok, result.errors
    web = result.rendered["service/web/test"]
    assert "known-after-apply:environment/test.VpcId" in web.body
    assert "known-after-apply:service/orders/test.QueueUrl" in web.body
    assert web.pending == ("environment/test", "service/orders/test")


def test_an_undefined_variable_names_the_template_and_line(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    path = tmp_path / SVC
    path.write_text(
        path.read_text().replace(
            "{{ service_instance.inputs.size }}", "{{ service_instance.inputs.sizee }}"
        )
    )
    result = validate(repo.root)
    problems = [p for p in result.errors if p.file == SVC]
    assert problems, result.errors
    assert all(p.line == 7 for p in problems)
    assert "sizee" in problems[0].message
    assert {p.field for p in problems} >= {"service/orders/test", "service/web/test"}


def test_a_sandbox_escape_is_an_error_not_an_exploit(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    path = tmp_path / SVC
    path.write_text(path.read_text() + "# {{ ''.__class__.__mro__[1].__subclasses__() }}\n")
    result = validate(repo.root)
    assert not result.ok
    assert any(
        p.file == SVC and ("not allowed" in p.message.lower() or "unsafe" in p.message.lower())
        for p in result.errors
    ), result.errors


@pytest.mark.slow
def test_lint_errors_fail_and_can_be_ignored_platform_wide(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    path = tmp_path / SVC
    path.write_text(
        path.read_text().replace(
            "Type: AWS::SQS::Queue", "Type: AWS::SQS::Queue\n    Condition: Missing"
        )
    )
    result = validate(repo.root, lint=True)
    lint = [p for p in result.errors if "E" in p.message and p.file == SVC]
    assert lint, result.problems
    rule = lint[0].message.split("rendered line")[1].split(":", 1)[1].strip().split()[0]
    repo.write(
        "goldenpath.yaml",
        f"""
        apiVersion: goldenpath.dev/v1
        kind: Platform
        metadata: {{name: p}}
        spec: {{region: us-west-2, lint: {{ignore_checks: [{rule.strip("[]")}]}}}}
        """,
    )
    assert validate(repo.root, lint=True).ok
