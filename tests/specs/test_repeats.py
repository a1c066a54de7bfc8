"""A name written twice where each one must stand alone is refused at the second one.

Instance names become unit ids (``service/<svc>/<name>``), team and alias keys become
entitlements and template variables, goldenpath.yaml and teams.yaml hold one document
each: a repeat would silently replace the first, so it is an error at its file and line.
"""

from __future__ import annotations

import pytest

from reconciler.errors import SpecError
from reconciler.specs.loader import load_specs
from reconciler.specs.yaml import load_documents

SERVICE = b"""apiVersion: goldenpath.dev/v1
kind: Service
metadata: {name: web, team: storefront}
spec:
  template: {name: svc, version: "1"}
  instances:
    - name: test
      environment: test
    - name: test
      environment: production
"""

TEAMS = b"""apiVersion: goldenpath.dev/v1
kind: Teams
metadata: {name: pizza-ananas}
spec:
  teams:
    platform: {admin: true, members: [anna, john]}
    storefront:
      members: [gregg, maria, gregg]
      templates: ["*"]
      environments: [test, test]
"""

PLATFORM = b"""apiVersion: goldenpath.dev/v1
kind: Platform
metadata: {name: pizza-ananas}
spec:
  region: us-west-2
  rollout: {order: [test, staging, test]}
  data_templates: [postgres-db, postgres-db]
  lint: {ignore_checks: [E1041, E1041]}
"""


def test_an_instance_name_written_twice_is_refused_at_the_second() -> None:
    specs, [problem] = load_specs({"services/web.yaml": SERVICE})
    assert (problem.file, problem.line, problem.field) == (
        "services/web.yaml",
        9,
        "spec.instances[1].name",
    )
    assert problem.message.startswith("instance name 'test' appears twice")
    assert "first at spec.instances[0].name, line 7" in problem.message
    assert "service/web/test" in problem.message
    # Left out whole, like any spec with errors: no instance replaces another.
    assert "web" not in specs.services


def test_instance_names_that_differ_are_fine() -> None:
    fine = SERVICE.replace(
        b"    - name: test\n      environment: production",
        b"    - name: prod\n      environment: production",
    )
    specs, problems = load_specs({"services/web.yaml": fine})
    assert problems == []
    assert [i.name for i in specs.services["web"].instances] == ["test", "prod"]


@pytest.mark.parametrize(
    ("line", "field", "item"),
    [
        (8, "spec.teams.storefront.members[2]", "'gregg'"),
        (10, "spec.teams.storefront.environments[1]", "'test'"),
    ],
)
def test_a_list_item_written_twice_in_teams_is_refused_at_its_line(
    line: int, field: str, item: str
) -> None:
    _specs, problems = load_specs({"teams.yaml": TEAMS})
    found = {p.field: p for p in problems}
    assert found[field].line == line
    assert found[field].message.startswith(f"{item} appears twice")


@pytest.mark.parametrize(
    ("field", "item", "also"),
    [
        ("spec.rollout.order[2]", "'test'", "spec.rollout.order[0]"),
        ("spec.data_templates[1]", "'postgres-db'", "spec.data_templates[0]"),
        ("spec.lint.ignore_checks[1]", "'E1041'", "spec.lint.ignore_checks[0]"),
    ],
)
def test_a_list_item_written_twice_in_goldenpath_yaml_is_refused(
    field: str, item: str, also: str
) -> None:
    _specs, problems = load_specs({"goldenpath.yaml": PLATFORM})
    [problem] = [p for p in problems if p.field == field]
    assert problem.message.startswith(f"{item} appears twice (also {also})")


def test_a_second_teams_document_is_refused_and_the_first_stands() -> None:
    second = TEAMS.replace(b", gregg]", b"]").replace(b"[test, test]", b"[test]")
    other = (
        b"apiVersion: goldenpath.dev/v1\nkind: Teams\nmetadata: {name: x}\nspec:\n  teams:\n"
        b"    payments: {members: [priya], admin: true}\n"
    )
    specs, [problem] = load_specs({"teams.yaml": second + b"---\n" + other})
    assert (problem.file, problem.line) == ("teams.yaml", 16)
    assert "a second Teams document (the first is at line 5)" in problem.message
    assert specs.teams is not None and set(specs.teams.teams) == {"platform", "storefront"}


def test_a_second_platform_document_is_refused_and_the_first_stands() -> None:
    first = PLATFORM.split(b"  rollout")[0]
    other = first.replace(b"us-west-2", b"eu-west-1")
    specs, [problem] = load_specs({"goldenpath.yaml": first + b"---\n" + other})
    assert (problem.file, problem.line) == ("goldenpath.yaml", 9)
    assert "a second Platform document" in problem.message
    assert specs.platform.region == "us-west-2"
    assert specs.platform_error is not None  # so no unit is built on either (desired/)


def test_a_key_written_twice_in_one_mapping_is_refused() -> None:
    with pytest.raises(SpecError) as caught:
        load_documents(
            b"spec:\n  teams:\n    a: {members: [x]}\n    a: {members: [y]}\n", "teams.yaml"
        )
    [problem] = caught.value.problems
    assert problem.line == 4 and "duplicate key" in problem.message


def test_a_key_written_once_plain_and_once_quoted_is_refused() -> None:
    # YAML reads 123 as a number and "123" as text: two keys to YAML, one to a spec.
    text = b'spec:\n  teams:\n    123: {members: [x]}\n    "123": {members: [y], admin: true}\n'
    with pytest.raises(SpecError) as caught:
        load_documents(text, "teams.yaml")
    [problem] = caught.value.problems
    assert (problem.file, problem.line) == ("teams.yaml", 4)
    assert "duplicate key '123'" in problem.message


def test_a_binding_alias_written_twice_is_refused() -> None:
    service = SERVICE.replace(
        b"      environment: production\n",
        b"      environment: production\n      bindings:\n"
        b"        db: {service: a}\n        db: {service: b}\n",
    )
    _specs, [problem] = load_specs({"services/web.yaml": service})
    assert problem.line == 13 and "duplicate key" in problem.message
