"""Untrusted YAML: clear errors with lines, and no way to exhaust memory or run code."""

from __future__ import annotations

import pytest

from reconciler.errors import SpecError
from reconciler.specs.yaml import YamlLimits, load_documents

DEFAULT = YamlLimits()


def only_problem(text: str | bytes, limits: YamlLimits = DEFAULT):  # type: ignore[no-untyped-def]
    with pytest.raises(SpecError) as caught:
        load_documents(text, "services/web.yaml", limits)
    [problem] = caught.value.problems
    assert problem.file == "services/web.yaml"
    return problem


def test_lines_are_known_for_every_field() -> None:
    [doc] = load_documents("a: 1\nspec:\n  instances:\n    - name: x\n      env: y\n", "f.yaml")
    assert doc.line("spec.instances[0].env") == 5
    assert doc.line("spec.instances[0].missing") == 4  # the nearest written parent


def test_invalid_yaml_names_the_line() -> None:
    problem = only_problem("apiVersion: goldenpath.dev/v1\nkind: [Service\nmetadata: {}\n")
    assert problem.line is not None and problem.line >= 2
    assert problem.message.startswith("invalid YAML")


def test_duplicate_keys_are_refused() -> None:
    problem = only_problem("kind: Service\nkind: Environment\n")
    assert problem.line == 2 and "duplicate key" in problem.message


def test_python_tags_are_refused_not_run() -> None:
    problem = only_problem("x: !!python/object/apply:os.system ['touch /tmp/pwned']\n")
    assert "could not determine a constructor" in problem.message


def test_alias_bomb_is_refused() -> None:
    levels = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        levels.append(f"a{i}: &a{i} [{refs}]")
    problem = only_problem("\n".join(levels) + "\n")
    assert "once aliases are expanded" in problem.message


def test_too_many_aliases_are_refused_when_lines_are_read() -> None:
    text = "base: &b {x: 1}\n" + "".join(f"k{i}: *b\n" for i in range(150))
    [doc] = load_documents(text, "f.yaml")  # the data itself is small and fine
    assert doc.line("k3") is None  # the round trip that reads lines refuses the aliases


def test_a_50_mb_file_is_refused_unparsed() -> None:
    problem = only_problem(b"a: " + b"x" * (50 * 1024 * 1024) + b"\n")
    assert "at most" in problem.message and "52,428,80" in problem.message


def test_not_utf8() -> None:
    problem = only_problem(b"kind: \xff\xfe\n")
    assert "not UTF-8" in problem.message


def test_empty_documents_are_skipped() -> None:
    assert load_documents("---\n---\na: 1\n", "f.yaml")[0].data == {"a": 1}
