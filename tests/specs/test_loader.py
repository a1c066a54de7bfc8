"""Spec files against their JSON Schemas: every problem at once, each with its place."""

from __future__ import annotations

from reconciler.specs.loader import load_specs

SERVICE = b"""apiVersion: goldenpath.dev/v1
kind: Service
metadata: {name: web, team: storefront}
spec:
  template: {name: svc, version: 1}
  instances:
    - name: test
      environment: test
"""


def test_a_valid_service_loads_with_origins() -> None:
    specs, problems = load_specs({"services/web.yaml": SERVICE})
    assert problems == []
    web = specs.services["web"]
    assert web.template.version == "1"  # an integer major is accepted
    assert web.instances[0].origin.line == 7
    assert web.team == "storefront"


def test_every_problem_is_reported_at_once() -> None:
    bad = SERVICE.replace(b"environment: test", b"envronment: test").replace(
        b"version: 1", b"version: 1.10"
    )
    specs, problems = load_specs(
        {"services/web.yaml": bad, "services/ok.yaml": SERVICE.replace(b"name: web", b"name: ok")}
    )
    found = {(p.line, p.field): p.message for p in problems}
    assert (8, "spec.instances[0].envronment") in found
    assert (
        "expected one of: bindings, components, environment"
        in found[(8, "spec.instances[0].envronment")]
    )
    assert (5, "spec.template.version") in found
    assert "quotes" in found[(5, "spec.template.version")]
    assert list(specs.services) == ["ok"]  # the valid file still loads


def test_wrong_kind_for_the_folder() -> None:
    _specs, [problem] = load_specs(
        {"services/web.yaml": SERVICE.replace(b"kind: Service", b"kind: Environment")}
    )
    assert problem.line == 2 and problem.field == "kind"
    assert "expected kind 'Service' in services, got 'Environment'" in problem.message


def test_misspelled_kind() -> None:
    _specs, [problem] = load_specs(
        {
            "environments/x.yaml": b"apiVersion: goldenpath.dev/v1\n"
            b"kind: Enviroment\nmetadata: {name: x}\nspec: {}\n"
        }
    )
    assert "expected kind 'Environment'" in problem.message


def test_invalid_names_follow_proton_rules() -> None:
    _specs, problems = load_specs(
        {"services/web.yaml": SERVICE.replace(b"name: test", b"name: 'bad name!'")}
    )
    [problem] = problems
    assert problem.field == "spec.instances[0].name"
    assert "letters, digits, '-' and '_'" in problem.message


def test_mixed_case_names_are_allowed() -> None:
    specs, problems = load_specs(
        {
            "services/web.yaml": SERVICE.replace(
                b"environment: test", b"environment: VPC-ECSCluster-Env-Test"
            )
        }
    )
    assert problems == []
    assert specs.services["web"].instances[0].environment == "VPC-ECSCluster-Env-Test"


def test_environment_takes_the_platform_region() -> None:
    specs, problems = load_specs(
        {
            "goldenpath.yaml": b"apiVersion: goldenpath.dev/v1\nkind: Platform\n"
            b"metadata: {name: p}\nspec: {region: eu-west-1, lint: "
            b"{ignore_checks: [E1041]}}\n",
            "environments/test.yaml": b"apiVersion: goldenpath.dev/v1\nkind: Environment\n"
            b"metadata: {name: test}\nspec:\n  template: {name: e, "
            b"version: '1'}\n  account: {id: '111111111111'}\n",
        }
    )
    assert problems == []
    assert specs.environments["test"].account.region == "eu-west-1"
    assert specs.platform.lint_ignore_checks == ("E1041",)


def test_empty_file_and_non_mapping() -> None:
    _specs, problems = load_specs({"services/a.yaml": b"", "services/b.yaml": b"- 1\n- 2\n"})
    messages = sorted(str(p) for p in problems)
    assert "services/a.yaml: file is empty; expected a spec" in messages
    assert any(m.startswith("services/b.yaml:1") and "expected a mapping" in m for m in messages)


def test_files_elsewhere_are_not_specs() -> None:
    specs, problems = load_specs({"docs/notes.yaml": b"nonsense: [", "services/sub/x.yaml": b"["})
    assert problems == [] and not specs.services
