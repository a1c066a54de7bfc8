"""The one module that speaks to regopy (rego-cpp): compile, evaluate, run a test rule.

Everything else in Goldenpath speaks in domain values; here regopy's interpreter, bundles
and error trees are turned into them, and its errors into ``PolicyCompileError`` and
``PolicyEvaluationError`` (always ``raise ... from``):

- a compile error comes as an S-expression naming ``file|offset|length``; the offset is
  turned into the 1-based line and column of the file;
- an evaluation error is an output that is not ok (with ``strict_built_in_errors`` on, a
  built-in's failure, such as a division by zero, is one) or an error node inside an
  otherwise ok output (rego-cpp's way of saying "Not a term", e.g. an unsafe variable);
  both fail closed.

rego-cpp prints compile errors on stdout unless the interpreter's log level is NONE, so
every interpreter made here is silenced. Two constructs are refused before compiling,
with the file, line and column (a pull request may change the policies, and they run in
the long-running process):

- ``opa.runtime()`` would hand a policy the process environment, secrets included, and
  policy messages go to pull-request comments;
- ``with input as …`` crashes rego-cpp 1.5.2 (the whole process, a segfault) as soon as
  the rules it reaches call another rule or function; replacing the parts of the input
  (``with input.template as … with input.unit as …``) works.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import regopy
import regopy.rego_shared as _c
from regopy import Interpreter, LogLevel

from reconciler.errors import Problem

# The query that reads both sets at once; a comprehension is [] where a set is undefined.
RESULTS_QUERY = (
    'x := {"deny": [d | some d in data.goldenpath.guardrails.deny], '
    '"warn": [w | some w in data.goldenpath.guardrails.warn]}'
)
# What a policy or test may not contain, and why (see the module docstring).
REFUSED = (
    (
        re.compile(r"\bopa\s*\.\s*runtime\b"),
        "opa.runtime may not be used: it exposes the process environment (secrets)",
    ),
    (
        re.compile(r"\bwith\s+input\s+as\b"),
        "`with input as …` crashes the Rego engine (rego-cpp 1.5.2); replace the parts "
        "instead: `with input.template as … with input.unit as …`",
    ),
)
# ``(error 16:policies/s3.rego|65|2`` then ``(errormsg 16:this is unclosed)``.
_ERROR = re.compile(r"\(error \d+:(?P<file>[^|\n]*)\|(?P<offset>\d+)\|\d+")
_MESSAGE = re.compile(r"\(errormsg \d+:(?P<message>[^\n]*)\)")


class PolicyCompileError(Exception):
    """The policies do not compile: every problem, with file, line and column."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


class PolicyEvaluationError(Exception):
    """Evaluating the policies failed for one input (a built-in failed, a bad result)."""


@dataclass(frozen=True)
class RawResults:
    """What ``deny`` and ``warn`` held, as plain JSON values (checked by the caller)."""

    deny: tuple[Any, ...]
    warn: tuple[Any, ...]


class CompiledPolicies:
    """Policies and data compiled once into a rego-cpp bundle; evaluation is serialized."""

    def __init__(self, bundle: Any, digest: str) -> None:
        self._bundle = bundle
        self.digest = digest
        self._runner = _silent()
        self._runner.strict_built_in_errors = True
        self._lock = threading.Lock()  # one interpreter, one input at a time

    def evaluate(self, document: Mapping[str, Any]) -> RawResults:
        """``deny`` and ``warn`` for ``document`` as ``input``."""
        with self._lock:
            runner = self._runner._impl
            handle = _input_of(document)
            try:
                status = _c.rego.regoSetInput(runner, handle)
            finally:
                _c.rego.regoFreeInput(handle)
            if status != _c.Code.OK:
                raise PolicyEvaluationError("the input could not be handed to the policies")
            output = _c.rego_bundle_query(runner, self._bundle._impl)
            try:
                ok = _c.rego_output_ok(output)
                text = _c.rego_output_string(output)
                if not ok:
                    raise PolicyEvaluationError(_output_error(output))
            finally:
                _c.rego_free_output(output)
        return _results(text)


def compile_policies(
    modules: Mapping[str, str], data: Mapping[str, Any], digest: str
) -> CompiledPolicies:
    """Compile ``modules`` (path → source) with ``data``; raises ``PolicyCompileError``."""
    _refuse_builtins(modules)
    interpreter = _silent()
    try:
        for path, source in modules.items():
            interpreter.add_module(path, source)
        interpreter.add_data(dict(data))
        bundle = interpreter.build(RESULTS_QUERY, [])
    except regopy.RegoError as exc:
        raise PolicyCompileError(_compile_problems(str(exc), modules)) from exc
    if not bundle.ok():
        raise PolicyCompileError([Problem("policies/", None, "", "the policies do not compile")])
    return CompiledPolicies(bundle, digest)


class TestRun:
    """Modules and data loaded once, for querying test rules one by one."""

    __test__ = False  # not a pytest class

    def __init__(self, modules: Mapping[str, str], data: Mapping[str, Any]) -> None:
        _refuse_builtins(modules)
        self._interpreter = _silent()
        self._interpreter.strict_built_in_errors = True
        try:
            for path, source in modules.items():
                self._interpreter.add_module(path, source)
            self._interpreter.add_data(dict(data))
            # Queried once up front so that compile errors surface here, with positions.
            self._interpreter.query("x := 1")
        except regopy.RegoError as exc:
            raise PolicyCompileError(_compile_problems(str(exc), modules)) from exc

    def passes(self, package: str, rule: str) -> bool:
        """Whether ``data.<package>.<rule>`` is true; raises PolicyEvaluationError."""
        try:
            output = self._interpreter.query(f"x := data.{package}.{rule}")
        except regopy.RegoError as exc:
            raise PolicyEvaluationError(str(exc)) from exc
        except ValueError as exc:  # regopy could not read the output as JSON
            raise PolicyEvaluationError(_embedded_error(str(exc))) from exc
        if not output.ok():
            raise PolicyEvaluationError(_output_error(output._impl))
        if not len(output):
            return False  # undefined: a test whose body fails
        return bool(output[0].bindings.get("x") is True)


def _silent() -> Interpreter:
    interpreter = Interpreter()
    interpreter.log_level = LogLevel.NONE
    return interpreter


def _refuse_builtins(modules: Mapping[str, str]) -> None:
    problems = []
    for path, source in modules.items():
        for number, line in enumerate(source.splitlines(), start=1):
            code = line.split("#", 1)[0]
            for pattern, why in REFUSED:
                found = pattern.search(code)
                if found is not None:
                    where = f"{number}:{found.start() + 1}"
                    problems.append(Problem(path, number, "", f"{where}: {why}"))
    if problems:
        raise PolicyCompileError(problems)


def _compile_problems(text: str, modules: Mapping[str, str]) -> list[Problem]:
    """rego-cpp's error tree as problems: ``file``, line, and ``line:col: message``."""
    problems = []
    errors = list(_ERROR.finditer(text))
    for index, found in enumerate(errors):
        end = errors[index + 1].start() if index + 1 < len(errors) else len(text)
        message = _MESSAGE.search(text, found.end(), end)
        what = message.group("message") if message else "does not compile"
        file = found.group("file") or "policies/"
        source = modules.get(file)
        if source is None:
            problems.append(Problem(file, None, "", what))
            continue
        line, column = _position(source, int(found.group("offset")))
        problems.append(Problem(file, line, "", f"{line}:{column}: {what}"))
    if not problems:
        problems.append(Problem("policies/", None, "", f"the policies do not compile: {text}"))
    return list(dict.fromkeys(problems))


def _position(source: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a byte offset into ``source``."""
    before = source.encode()[:offset].decode(errors="replace")
    line = before.count("\n") + 1
    column = len(before) - (before.rfind("\n") + 1) + 1
    return line, column


def _output_error(output: Any) -> str:
    """The messages of an output that is not ok (an error sequence)."""
    messages: list[str] = []

    def walk(node: Any) -> None:
        kind = _c.rego_node_type(node)
        if kind == _c.NodeKind.ErrorMessage:
            messages.append(_c.rego_node_value(node))
        elif kind == _c.NodeKind.ErrorCode:
            code = _c.rego_node_value(node)
            if code and messages:
                messages[-1] += f" ({code})"
        for index in range(_c.rego_node_size(node)):
            walk(_c.rego_node_get(node, index))

    walk(_c.rego_output_node(output))
    return "; ".join(messages) or "the policies failed to evaluate"


def _embedded_error(text: str) -> str:
    found = _MESSAGE.search(text)
    return found.group("message") if found else "the policies gave a value that is not data"


def _results(text: str) -> RawResults:
    try:
        document = json.loads(text)
        results = document["bindings"]["x"]
        deny, warn = results["deny"], results["warn"]
    except (ValueError, KeyError, TypeError) as exc:
        # An error node inside an ok output: an unsafe variable, a type error in a rule.
        raise PolicyEvaluationError(_embedded_error(text)) from exc
    return RawResults(tuple(deny), tuple(warn))


def _input_of(value: Any) -> Any:
    """A rego-cpp input built from plain data (dicts, lists, scalars), quicker than
    regopy's ``Input`` (about 40% less time on a rendered template): exact type checks
    and no wrapper per value."""
    lib = _c.rego
    handle = lib.regoNewInput()
    string, integer, real = lib.regoInputString, lib.regoInputInt, lib.regoInputFloat
    boolean, null = lib.regoInputBoolean, lib.regoInputNull
    item, obj, array = lib.regoInputObjectItem, lib.regoInputObject, lib.regoInputArray

    def add(v: Any) -> int:
        kind = type(v)
        if kind is str:
            return int(string(handle, v.encode()))
        if kind is dict:
            failed = 0
            for key, inner in v.items():
                failed |= add(key if isinstance(key, str) else str(key))
                failed |= add(inner)
                failed |= item(handle)
            return failed | int(obj(handle, len(v)))
        if kind is list or kind is tuple:
            failed = 0
            for inner in v:
                failed |= add(inner)
            return failed | int(array(handle, len(v)))
        if kind is bool:
            return int(boolean(handle, v))
        if kind is int:
            return int(integer(handle, v))
        if kind is float:
            return int(real(handle, v))
        if v is None:
            return int(null(handle))
        # Dates and other YAML scalars travel as their text, as in a JSON template.
        return int(string(handle, str(v).encode()))

    if add(value):
        lib.regoFreeInput(handle)
        raise PolicyEvaluationError("the input could not be handed to the policies")
    return handle
