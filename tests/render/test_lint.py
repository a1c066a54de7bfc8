"""cfn-lint as a gate: errors and warnings, both ways of suppressing, and the cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import Problem
from reconciler.render import Linter, LintReport, MemoryLintCache

FILE = "templates/svc/v1/instance_infrastructure/cloudformation.yaml"

BROKEN = """AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Unused: {Type: String}
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      DelaySeconds: "soon"
"""


def _with_metadata_ignoring(checks: str, body: str = BROKEN) -> str:
    metadata = f"Metadata:\n  cfn-lint:\n    config:\n      ignore_checks: [{checks}]\n"
    return body.replace("Parameters:", metadata + "Parameters:")


def _rules(problems: tuple[Problem, ...]) -> list[str]:
    return [problem.message.split(" ", 1)[0] for problem in problems]


@pytest.fixture
def linter() -> Linter:
    return Linter()


def test_an_e_rule_is_an_error_with_file_line_field_and_rule_id(linter: Linter) -> None:
    report = linter.lint(BROKEN, file=FILE)
    assert report.errors == (
        Problem(
            file=FILE,
            line=8,
            field="Resources.Queue.Properties.DelaySeconds",
            message="E3012 'soon' is not of type 'integer'",
        ),
    )
    assert not report.ok


def test_a_w_rule_is_a_warning(linter: Linter) -> None:
    report = linter.lint(BROKEN, file=FILE)
    assert _rules(report.warnings) == ["W2001"]
    assert report.warnings[0].severity == "warning"
    assert report.warnings[0].line == 3


def test_a_clean_template_passes(linter: Linter) -> None:
    report = linter.lint("Resources:\n  Queue:\n    Type: AWS::SQS::Queue\n", file=FILE)
    assert report == LintReport()
    assert report.ok


def test_a_body_that_does_not_parse_is_an_error_at_its_line(linter: Linter) -> None:
    report = linter.lint("Resources:\n  Queue: [\n", file=FILE)
    assert _rules(report.errors) == ["E0000"]
    assert report.errors[0].line is not None


def test_the_template_metadata_can_suppress_a_check(linter: Linter) -> None:
    report = linter.lint(_with_metadata_ignoring("E3012"), file=FILE)
    assert report.errors == ()


def test_the_platform_can_suppress_a_check(linter: Linter) -> None:
    report = linter.lint(BROKEN, file=FILE, ignore_checks=["W2001"])
    assert report.warnings == ()
    assert _rules(report.errors) == ["E3012"]


def test_platform_and_template_suppressions_apply_together(linter: Linter) -> None:
    # Through cfn-lint's API an explicit ignore list replaces the template's unless merged.
    report = linter.lint(_with_metadata_ignoring("E3012"), file=FILE, ignore_checks=["W2001"])
    assert report == LintReport()


def test_template_metadata_cannot_reconfigure_more_than_suppressions(linter: Linter) -> None:
    body = BROKEN.replace(
        "Parameters:",
        "Metadata:\n  cfn-lint:\n    config:\n      regions: [xx-nowhere-1]\nParameters:",
    )
    assert _rules(linter.lint(body, file=FILE).errors) == ["E3012"]


def test_a_cfnlintrc_in_the_working_directory_does_not_change_results(
    linter: Linter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".cfnlintrc").write_text("ignore_checks:\n  - E3012\n")
    monkeypatch.chdir(tmp_path)
    assert _rules(linter.lint(BROKEN, file=FILE).errors) == ["E3012"]


def test_a_second_lint_of_the_same_body_does_not_run_cfn_lint(linter: Linter) -> None:
    first = linter.lint(BROKEN, file=FILE)
    second = linter.lint(BROKEN, file=FILE)
    assert linter.runs == 1
    assert second == first


def test_a_cached_report_names_the_file_it_is_asked_about(linter: Linter) -> None:
    linter.lint(BROKEN, file=FILE)
    other = "templates/other/v1/instance_infrastructure/cloudformation.yaml"
    report = linter.lint(BROKEN, file=other)
    assert linter.runs == 1
    assert {problem.file for problem in report.errors + report.warnings} == {other}


def test_different_suppressions_are_linted_separately(linter: Linter) -> None:
    linter.lint(BROKEN, file=FILE)
    linter.lint(BROKEN, file=FILE, ignore_checks=["W2001"])
    linter.lint(BROKEN, file=FILE, regions=["eu-west-1"])
    assert linter.runs == 3


def test_the_cache_key_does_not_depend_on_the_order_of_suppressions() -> None:
    assert Linter.cache_key("x", ["W1", "E2"], ["us-east-1"]) == Linter.cache_key(
        "x", ["E2", "W1", "E2"], ["us-east-1"]
    )


def test_reports_persist_through_any_cache_that_keeps_their_json() -> None:
    class JsonCache:
        """Stores reports as JSON text, as the state store does."""

        def __init__(self) -> None:
            self.texts: dict[str, str] = {}

        def get(self, key: str) -> LintReport | None:
            text = self.texts.get(key)
            return LintReport.from_json(text) if text is not None else None

        def put(self, key: str, report: LintReport) -> None:
            self.texts[key] = report.to_json()

    cache = JsonCache()
    first = Linter(cache).lint(BROKEN, file=FILE)
    restarted = Linter(cache)
    assert restarted.lint(BROKEN, file=FILE) == first
    assert restarted.runs == 0


def test_the_memory_cache_drops_the_least_recently_used_report() -> None:
    cache = MemoryLintCache(max_entries=2)
    for key in ("a", "b", "a", "c"):
        cache.put(key, LintReport())
    assert (cache.get("a"), cache.get("b")) == (LintReport(), None)
    assert len(cache) == 2


def test_one_templates_suppressions_do_not_carry_over_to_the_next(linter: Linter) -> None:
    # The config answers each setting once per template: the answers must be forgotten
    # when the next template's metadata is read, in either order.
    other = BROKEN.replace("soon", "later")
    assert linter.lint(_with_metadata_ignoring("E3012"), file=FILE).errors == ()
    assert _rules(linter.lint(other, file=FILE).errors) == ["E3012"]
    assert linter.lint(_with_metadata_ignoring("E3012", other.replace("later", "eh")), file=FILE).ok
    assert _rules(linter.lint(BROKEN.replace("soon", "now"), file=FILE).errors) == ["E3012"]


def test_a_linter_keeps_a_bounded_number_of_cfn_lint_configs(
    linter: Linter, monkeypatch: pytest.MonkeyPatch
) -> None:
    import reconciler.render._lint as lint_module

    monkeypatch.setattr(lint_module, "CONFIGS_KEPT", 2)
    # A pull request may name any checks to suppress: each set is a config of its own.
    for ignored in (["E1001"], ["E1002"], ["E1003"]):
        assert _rules(linter.lint(BROKEN, file=FILE, ignore_checks=ignored).errors) == ["E3012"]
    assert len(linter._configs) == 2
    assert linter.lint(BROKEN, file=FILE, ignore_checks=["E3012"]).errors == ()
