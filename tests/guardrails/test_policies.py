"""Policies as the guardrails load, compile and evaluate them: real rego-cpp, real renders."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

from reconciler.desired.build import build_desired
from reconciler.desired.rendering import RenderedUnit, pending_source, render_unit
from reconciler.guardrails import Guardrails, MemoryVerdictCache, load_policies
from reconciler.render import Renderer
from reconciler.source.git import GitSource
from tests.guardrails.platform import guarded_platform, write_bucket
from tests.support.platform_repo import PlatformRepo

TODAY = date(2027, 1, 1)
TEST_HEADER = (
    "package goldenpath.guardrails_test\n\nimport rego.v1\n\nimport data.goldenpath.guardrails\n\n"
)
GOLDENPATH = str(Path(sys.executable).parent / "goldenpath")
HEADER = "package goldenpath.guardrails\n\nimport rego.v1\n\n"


def _leaky(tmp_path: Path) -> tuple[PlatformRepo, RenderedUnit]:
    repo = guarded_platform(tmp_path / "repo")
    write_bucket(repo, "leaky", "{encrypted: false, public: true}")
    repo.commit("leaky")
    return repo, _rendered(repo, "service/leaky/test")


def _rendered(repo: PlatformRepo, unit_id: str) -> RenderedUnit:
    snapshot = GitSource.open(repo.root).snapshot("HEAD")
    build = build_desired(snapshot)
    return render_unit(build.state.units[unit_id], build.state, Renderer(), pending_source({}))


def _guard(repo: PlatformRepo, **files: str) -> Guardrails:
    snapshot = GitSource.open(repo.root).snapshot("HEAD")
    extra = {f"policies/{name}": text.encode() for name, text in files.items()}
    build = build_desired(snapshot)
    guard = Guardrails.of_repo({**snapshot.files, **extra}, build.specs.platform, TODAY)
    assert guard is not None
    return guard


def test_the_real_policies_deny_a_public_unencrypted_bucket(tmp_path: Path) -> None:
    repo, rendered = _leaky(tmp_path)
    verdict = _guard(repo).check(rendered)
    assert verdict.error is None
    assert [(f.rule, f.resource) for f in verdict.denials] == [
        ("s3_encrypted", "Bucket"),
        ("s3_public_access_blocked", "Bucket"),
    ]
    assert verdict.reason().startswith("denied by guardrail s3_encrypted: Bucket: the bucket is")


def test_a_syntax_error_names_file_line_and_column_and_fails_closed(tmp_path: Path) -> None:
    repo, rendered = _leaky(tmp_path)
    guard = _guard(repo, **{"broken.rego": HEADER + "deny contains x if {\n  x := \n"})
    problems = [p for p in guard.problems if p.file == "policies/broken.rego"]
    assert problems and problems[0].line == 5
    assert problems[0].message.startswith("5:20: ")
    verdict = guard.check(rendered)
    assert verdict.failed and "do not compile (policies/broken.rego:5" in (verdict.error or "")
    assert guard.check(_rendered(repo, "service/photos/test")).blocks  # everything held back


def test_a_rule_that_errs_at_run_time_fails_closed_with_the_error(tmp_path: Path) -> None:
    repo, rendered = _leaky(tmp_path)
    rule = (
        'deny contains {"rule": "ratio", "resource": "x", "message": m} if {\n'
        "  n := count(input.template.Resources) - 1\n"
        '  m := sprintf("%v", [10 / n])\n}\n'
    )
    guard = _guard(repo, **{"ratio.rego": HEADER + rule})
    assert guard.problems == []
    verdict = guard.check(rendered)  # one resource: 10 / 0
    assert verdict.failed and verdict.blocks
    assert "divide by zero" in (verdict.error or "")


def test_a_result_that_is_not_an_object_fails_closed(tmp_path: Path) -> None:
    repo, rendered = _leaky(tmp_path)
    guard = _guard(repo, **{"plain.rego": HEADER + 'deny contains "no" if { true }\n'})
    verdict = guard.check(rendered)
    assert verdict.failed and 'deny holds "no"; each result must be an object' in (
        verdict.error or ""
    )


def test_opa_runtime_is_refused_it_would_expose_the_environment(tmp_path: Path) -> None:
    repo, rendered = _leaky(tmp_path)
    rule = (
        'deny contains {"rule": "e", "resource": "", "message": m} if {\n'
        "  m := opa.runtime().env.HOME\n}\n"
    )
    guard = _guard(repo, **{"env.rego": HEADER + rule})
    [problem] = [p for p in guard.problems if p.file == "policies/env.rego"]
    assert problem.line == 6 and problem.message.startswith("6:8: opa.runtime may not be used")
    assert guard.check(rendered).failed


def test_with_input_as_is_refused_before_it_can_crash_the_engine(tmp_path: Path) -> None:
    repo, _rendered_unit = _leaky(tmp_path)
    test = TEST_HEADER + (
        'test_x if {\n  count(guardrails.deny) == 0 with input as {"template": {}}\n}\n'
    )
    repo.write("policies/crash_test.rego", test)
    repo.commit("a test rego-cpp 1.5.2 would crash on")
    done = _policy_test(repo.root)
    assert done.returncode == 1
    [problem] = json.loads(done.stdout)["problems"]
    assert problem["file"] == "policies/crash_test.rego" and problem["line"] == 8
    assert "`with input as …` crashes the Rego engine" in problem["message"]


def test_a_data_file_that_is_not_yaml_is_an_error_and_fails_closed(tmp_path: Path) -> None:
    repo, rendered = _leaky(tmp_path)
    guard = _guard(repo, **{"limits.yaml": "ports: [80, 443\n"})
    [problem] = [p for p in guard.problems if p.file == "policies/limits.yaml"]
    assert problem.message.startswith("invalid YAML")
    assert guard.check(rendered).failed


def test_data_files_sit_under_data_by_their_path(tmp_path: Path) -> None:
    policies = load_policies(
        {
            "policies/limits.yaml": b"ports: [80]\n",
            "policies/s3/allowed.json": b'{"kms": true}',
            "policies/goldenpath.yaml": b"x: 1\n",
        }
    )
    assert policies.data == {"limits": {"ports": [80]}, "s3": {"allowed": {"kms": True}}}
    assert [p.file for p in policies.problems] == ["policies/goldenpath.yaml"]


def test_results_are_cached_by_policy_revision_unit_and_body(tmp_path: Path) -> None:
    repo, rendered = _leaky(tmp_path)
    cache = MemoryVerdictCache()
    snapshot = GitSource.open(repo.root).snapshot("HEAD")
    platform = build_desired(snapshot).specs.platform
    first = Guardrails.of_repo(snapshot.files, platform, TODAY, cache)
    assert first is not None
    verdict = first.check(rendered)
    again = Guardrails.of_repo(snapshot.files, platform, TODAY, cache)
    assert again is not None
    assert again.check(rendered) == verdict and again.evaluations == 0
    changed = dict(snapshot.files)
    warn = 'warn contains {"rule": "w", "resource": "", "message": "m"} if true\n'
    changed["policies/extra.rego"] = (HEADER + warn).encode()
    other = Guardrails.of_repo(changed, platform, TODAY, cache)
    assert other is not None
    assert other.check(rendered).warnings and other.evaluations == 1


def _policy_test(repo: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [GOLDENPATH, "policy", "test", str(repo), "--output", "json"],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_policy_test_passes_the_example_and_fails_a_wrong_expectation(tmp_path: Path) -> None:
    repo = guarded_platform(tmp_path / "repo")
    done = _policy_test(repo.root)
    assert done.returncode == 0, done.stdout
    out = json.loads(done.stdout)
    assert out["ok"] and out["passed"] == 19 and out["failed"] == 0
    wrong = (
        TEST_HEADER + "test_a_private_bucket_is_denied if {\n"
        '  count(guardrails.deny) > 0 with input.template as {"Resources": {}}\n}\n'
    )
    repo.write("policies/wrong_test.rego", wrong)
    done = _policy_test(repo.root)
    assert done.returncode == 1
    out = json.loads(done.stdout)
    [failed] = [r for r in out["results"] if r["outcome"] != "pass"]
    assert failed == {
        "file": "policies/wrong_test.rego",
        "line": 7,
        "package": "goldenpath.guardrails_test",
        "name": "test_a_private_bucket_is_denied",
        "outcome": "fail",
        "message": "false or undefined",
    }
    human = subprocess.run(
        [GOLDENPATH, "policy", "test", str(repo.root)], capture_output=True, text=True, timeout=120
    )
    assert human.returncode == 1
    failed_line = "FAIL  policies/wrong_test.rego:7 goldenpath.guardrails_test.test_a_private"
    assert failed_line in human.stdout
    assert human.stdout.strip().endswith("19 passed, 1 failed, 0 errors")
