"""The ``policies/`` folder of a platform repo: Rego modules, their tests and data files.

- ``policies/**/*.rego`` are the policies (package ``goldenpath.guardrails``); files
  named ``*_test.rego`` are their tests, compiled only by ``goldenpath policy test``.
- ``policies/**/*.yaml|yml|json`` are data. A file's path under ``policies/``, without
  its extension, is where it sits under ``data``: ``policies/ports.yaml`` is
  ``data.ports``, ``policies/s3/allowed.json`` is ``data.s3.allowed``. ``data.goldenpath``
  is the policies' own namespace, so no data file may sit there.

A ``PolicySet`` carries the SHA-256 of every file it was made of (``digest``): the
policy revision that compiled policies and cached results are keyed by.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.errors import Problem, SpecError
from reconciler.specs.yaml import load_documents

POLICY_DIR = "policies/"
REGO = ".rego"
TESTS = "_test.rego"
DATA_SUFFIXES = (".yaml", ".yml", ".json")
# Where the policies themselves live under ``data``; a data file may not shadow it.
RESERVED_DATA = "goldenpath"


@dataclass(frozen=True)
class PolicySet:
    """Every file of ``policies/`` at one revision, read; what could not be read."""

    modules: Mapping[str, str]  # path → Rego source: the policies that are evaluated
    tests: Mapping[str, str]  # path → Rego source: ``*_test.rego``
    data: Mapping[str, Any]  # the merged data document
    digest: str
    problems: tuple[Problem, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not self.modules and not self.tests


def is_policy_path(path: str) -> bool:
    return path.startswith(POLICY_DIR)


def load_policies(files: Mapping[str, bytes]) -> PolicySet:
    """The policy set in ``files`` (repo-relative path → bytes); empty without policies/."""
    paths = sorted(p for p in files if is_policy_path(p))
    digest = hashlib.sha256()
    modules: dict[str, str] = {}
    tests: dict[str, str] = {}
    data: dict[str, Any] = {}
    problems: list[Problem] = []
    for path in paths:
        raw = files[path]
        digest.update(path.encode() + b"\0" + hashlib.sha256(raw).digest())
        if path.endswith(REGO):
            text = _text(path, raw, problems)
            if text is not None:
                (tests if path.endswith(TESTS) else modules)[path] = text
        elif path.endswith(DATA_SUFFIXES):
            _add_data(path, raw, data, problems)
    return PolicySet(modules, tests, data, digest.hexdigest(), tuple(problems))


def _text(path: str, raw: bytes, problems: list[Problem]) -> str | None:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(Problem(path, None, "", f"not UTF-8 text: {exc}"))
        return None


def _add_data(path: str, raw: bytes, data: dict[str, Any], problems: list[Problem]) -> None:
    where = posixpath.splitext(path[len(POLICY_DIR) :])[0].split("/")
    if where[0] == RESERVED_DATA:
        problems.append(
            Problem(path, None, "", "data.goldenpath is where the policies live; rename the file")
        )
        return
    value = _parse(path, raw, problems)
    if value is _UNREADABLE:
        return
    node = data
    for part in where[:-1]:
        inner = node.setdefault(part, {})
        if not isinstance(inner, dict):
            problems.append(Problem(path, None, "", f"data.{'.'.join(where)} clashes with a file"))
            return
        node = inner
    if where[-1] in node:
        problems.append(
            Problem(path, None, "", f"data.{'.'.join(where)} is given by two files; keep one")
        )
        return
    node[where[-1]] = value


_UNREADABLE = object()


def _parse(path: str, raw: bytes, problems: list[Problem]) -> Any:
    if path.endswith(".json"):
        try:
            return json.loads(raw)
        except ValueError as exc:
            problems.append(Problem(path, None, "", f"not valid JSON: {exc}"))
            return _UNREADABLE
    try:
        documents = load_documents(raw, path)
    except SpecError as exc:
        problems.extend(exc.problems)
        return _UNREADABLE
    if len(documents) != 1:
        problems.append(
            Problem(path, None, "", f"expected one YAML document, found {len(documents)}")
        )
        return _UNREADABLE
    return documents[0].data
