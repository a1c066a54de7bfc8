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
                if not _c.rego_output_ok(output):
                    raise PolicyEvaluationError(_output_error(output))
                results = _binding(_c.rego_output_node(output), "x")
            finally:
                _c.rego_free_output(output)
        if not isinstance(results, dict) or not {"deny", "warn"} <= results.keys():
            raise PolicyEvaluationError("the policies gave no deny and warn sets")
        return RawResults(tuple(results["deny"]), tuple(results["warn"]))


def compile_policies(
    modules: Mapping[str, str], data: Mapping[str, Any], digest: str
) -> CompiledPolicies:
    """Compile ``modules`` (path → source) with ``data``; raises ``PolicyCompileError``."""
    refuse_builtins(modules)
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
        refuse_builtins(modules)
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
        impl = self._interpreter._impl
        try:
            output = _c.rego_query(impl, f"x := data.{package}.{rule}")
        except regopy.RegoError as exc:
            raise PolicyEvaluationError(str(exc)) from exc
        try:
            if not _c.rego_output_ok(output):
                raise PolicyEvaluationError(_output_error(output))
            if _c.rego_output_string(output) == "undefined":
                return False  # a test whose body fails
            return _binding(_c.rego_output_node(output), "x") is True
        finally:
            _c.rego_free_output(output)


def _silent() -> Interpreter:
    interpreter = Interpreter()
    interpreter.log_level = LogLevel.NONE
    return interpreter


def refuse_builtins(modules: Mapping[str, str]) -> None:
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
    return _error_messages(_c.rego_output_node(output))


def _error_messages(root: Any) -> str:
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

    walk(root)
    return "; ".join(messages) or "the policies failed to evaluate"


def _binding(node: Any, name: str) -> Any:
    """The value bound to ``name`` in a query's output tree (results, result, bindings)."""
    stack = [node]
    while stack:
        current = stack.pop()
        kind = _c.rego_node_type(current)
        if kind == _c.NodeKind.Binding:
            var, value = _c.rego_node_get(current, 0), _c.rego_node_get(current, 1)
            if _c.rego_node_value(var) == name:
                return _value(value)
        elif kind in (_c.NodeKind.Results, _c.NodeKind.Result, _c.NodeKind.Bindings):
            stack.extend(_c.rego_node_get(current, i) for i in range(_c.rego_node_size(current)))
    raise PolicyEvaluationError("the policies gave no result (undefined)")


def _value(node: Any) -> Any:
    """A value of rego-cpp's output tree as plain data.

    The tree, not the output's JSON text: rego-cpp 1.5.2 writes some strings into that
    text without escaping their quotes (``concat`` results, for one), so it does not
    always parse. An error node inside a value (an unsafe variable, a type error in a
    rule) fails the evaluation.
    """
    kind = _c.rego_node_type(node)
    size = _c.rego_node_size(node)
    if kind == _c.NodeKind.String:
        return _string(_c.rego_node_value(node))
    if kind == _c.NodeKind.Object:
        found = {}
        for i in range(size):
            item = _c.rego_node_get(node, i)
            key = _value(_c.rego_node_get(item, 0))
            found[key if isinstance(key, str) else json.dumps(key)] = _value(
                _c.rego_node_get(item, 1)
            )
        return found
    if kind in (_c.NodeKind.Array, _c.NodeKind.Set):
        return [_value(_c.rego_node_get(node, i)) for i in range(size)]
    if kind in (_c.NodeKind.Term, _c.NodeKind.Scalar):
        return _value(_c.rego_node_get(node, 0))
    if kind == _c.NodeKind.Int:
        return int(_c.rego_node_value(node))
    if kind == _c.NodeKind.Float:
        return float(_c.rego_node_value(node))
    if kind in (_c.NodeKind.Boolean, _c.NodeKind.True_, _c.NodeKind.False_):
        return _c.rego_node_value(node) == "true"
    if kind == _c.NodeKind.Null:
        return None
    if kind in (_c.NodeKind.Error, _c.NodeKind.ErrorSeq):
        raise PolicyEvaluationError(_error_messages(node))
    raise PolicyEvaluationError(f"the policies gave a value of an unknown kind ({kind})")


def _string(text: str) -> str:
    """A string node's value: JSON-escaped content, or (rego-cpp's quirk) quoted JSON."""
    try:
        decoded = json.loads(f'"{text}"')
    except ValueError:
        try:
            decoded = json.loads(text) if text.startswith('"') else text
        except ValueError:
            decoded = text
    return decoded if isinstance(decoded, str) else text


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
