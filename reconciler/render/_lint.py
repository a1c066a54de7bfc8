"""cfn-lint as a gate before any stack operation, with results cached by content.

The embedded emulator accepts templates AWS would reject, so every rendered body is linted.
cfn-lint is slow to start (about half a second to load its rules) and takes tens of
milliseconds per template, so:

* its rules are built once per process and shared by every ``Linter``;
* results are cached by the SHA-256 of the body, the suppressed checks, the regions and the
  cfn-lint version, behind ``LintCache``, so that a second ``validate`` of thousands of
  instances lints nothing that has not changed. ``LintReport`` serializes to JSON for a
  persistent cache in the state store.

Checks are suppressed in two places, and both apply together: the platform's
``spec.lint.ignore_checks`` (the ``ignore_checks`` argument) and a template's own
``Metadata: cfn-lint: config: ignore_checks``. Through cfn-lint's API an explicit
``ignore_checks`` *replaces* the template's list unless ``merge_configs`` is on, so it is
on. A template's metadata may only suppress checks: the rest of its cfn-lint config
(regions, extra rules, spec overrides) is dropped, and so are ``.cfnlintrc`` files, so that
the result depends on nothing but the cache key.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Any, Protocol

import structlog

from reconciler.errors import Problem

log = structlog.get_logger(__name__)

# What ``Linter.warm_up`` lints: enough to load cfn-lint's rules and its common schemas.
WARM_UP_BODY = """AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Name: {Type: String}
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties: {TopicName: !Ref Name}
Outputs:
  TopicArn: {Value: !Ref Topic}
"""

# Entries kept by MemoryLintCache; a report is small (a few hundred bytes when clean).
DEFAULT_MEMORY_CACHE_ENTRIES = 100_000
# cfn-lint configs kept per Linter, one per (suppressed checks, region). A platform uses a
# few, but a pull request may name any checks to suppress in goldenpath.yaml.
CONFIGS_KEPT = 32


@dataclass(frozen=True)
class LintReport:
    """What cfn-lint found in one rendered body: E rules are errors, W rules warnings."""

    errors: tuple[Problem, ...] = ()
    warnings: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors

    def for_file(self, file: str) -> LintReport:
        """The same report about ``file`` (cached reports are shared by identical bodies)."""
        return LintReport(
            tuple(replace(p, file=file) for p in self.errors),
            tuple(replace(p, file=file) for p in self.warnings),
        )

    def to_json(self) -> str:
        return json.dumps(
            {
                "errors": [p.as_dict() for p in self.errors],
                "warnings": [p.as_dict() for p in self.warnings],
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> LintReport:
        data = json.loads(text)
        return cls(
            tuple(Problem(**p) for p in data.get("errors", [])),
            tuple(Problem(**p) for p in data.get("warnings", [])),
        )


class LintCache(Protocol):
    """Where lint results are kept between runs; keys are ``Linter.cache_key`` values."""

    def get(self, key: str) -> LintReport | None: ...

    def put(self, key: str, report: LintReport) -> None: ...


class MemoryLintCache:
    """A bounded in-process LintCache; the least recently used reports go first."""

    def __init__(self, max_entries: int = DEFAULT_MEMORY_CACHE_ENTRIES) -> None:
        self._reports: OrderedDict[str, LintReport] = OrderedDict()
        self._max_entries = max_entries
        self._lock = threading.Lock()

    def get(self, key: str) -> LintReport | None:
        with self._lock:
            report = self._reports.get(key)
            if report is not None:
                self._reports.move_to_end(key)
            return report

    def put(self, key: str, report: LintReport) -> None:
        with self._lock:
            self._reports[key] = report
            self._reports.move_to_end(key)
            while len(self._reports) > self._max_entries:
                self._reports.popitem(last=False)

    def __len__(self) -> int:
        return len(self._reports)


@cache
def _cfn_lint() -> Any:
    """cfn-lint's rules, loaded once per process (about half a second)."""
    from cfnlint.config import ConfigMixIn
    from cfnlint.runner import Runner

    rules = Runner(ConfigMixIn(regions=["us-east-1"])).rules
    log.info("lint.rules_loaded", count=len(rules.data))
    return rules


@cache
def cfn_lint_version() -> str:
    # From the installed distribution's metadata: importing cfnlint to read its
    # ``__version__`` loads the package (and sympy), ~0.4 s a cache hit need not pay.
    from importlib.metadata import version

    return version("cfn-lint")


class Linter:
    """Lints rendered CloudFormation bodies; safe to share between threads."""

    def __init__(self, cache: LintCache | None = None) -> None:
        self.cache: LintCache = cache if cache is not None else MemoryLintCache()
        self.runs = 0  # how many bodies cfn-lint itself has checked (cache misses)
        self._configs: dict[tuple[tuple[str, ...], tuple[str, ...]], Any] = {}
        # cfn-lint's config is mutated per template (set_template_args), and its rules keep
        # per-run state: one run at a time.
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        """Build cfn-lint's rules and lint a small body now, not on the first real one
        (about a second). A long-running process calls it as it starts."""
        self._run(WARM_UP_BODY, "warm-up", (), ("us-east-1",))

    @staticmethod
    def cache_key(body: str, ignore_checks: Collection[str], regions: Sequence[str]) -> str:
        """SHA-256 of everything a lint result depends on."""
        settings = json.dumps([sorted(set(ignore_checks)), list(regions), cfn_lint_version()])
        digest = hashlib.sha256(settings.encode())
        digest.update(b"\0")  # the settings are JSON, so they never contain a NUL
        digest.update(body.encode())
        return digest.hexdigest()

    def lint(
        self,
        body: str,
        *,
        file: str,
        ignore_checks: Collection[str] = (),
        regions: Sequence[str] = ("us-east-1",),
    ) -> LintReport:
        """cfn-lint's E and W findings on ``body``.

        Problems name ``file`` (the template path); their lines are lines of ``body``.
        """
        key = self.cache_key(body, ignore_checks, regions)
        cached = self.cache.get(key)
        if cached is not None:
            return cached.for_file(file)
        report = self._run(body, file, tuple(sorted(set(ignore_checks))), tuple(regions))
        self.cache.put(key, report)
        return report

    def _run(
        self, body: str, file: str, ignore_checks: tuple[str, ...], regions: tuple[str, ...]
    ) -> LintReport:
        from cfnlint.decode.decode import decode_str
        from cfnlint.runner import run_template_by_data

        template, parse_problems = decode_str(body)
        with self._lock:
            self.runs += 1
            if parse_problems or not isinstance(template, dict):
                matches = list(parse_problems)
            else:
                _keep_only_suppressions(template)
                config = self._config(ignore_checks, regions)
                matches = list(run_template_by_data(template, config, _cfn_lint()))
        errors, warnings = [], []
        for match in matches:
            problem = _problem(match, file)
            if match.rule.id.startswith("E"):
                errors.append(problem)
            elif match.rule.id.startswith("W"):
                warnings.append(replace(problem, severity="warning"))
        log.debug("lint.ran", file=file, errors=len(errors), warnings=len(warnings))
        return LintReport(tuple(sorted(errors)), tuple(sorted(warnings)))

    def _config(self, ignore_checks: tuple[str, ...], regions: tuple[str, ...]) -> Any:
        key = (ignore_checks, regions)
        config = self._configs.pop(key, None)
        if config is None:
            config = _answering_config()(
                regions=list(regions), ignore_checks=list(ignore_checks), merge_configs=True
            )
            config.file_args = {}  # a .cfnlintrc in $HOME or the working directory
            config.forget_answers()
            if len(self._configs) >= CONFIGS_KEPT:  # the least recently used goes
                del self._configs[next(iter(self._configs))]
        self._configs[key] = config  # last: the most recently used
        return config


@cache
def _answering_config() -> type:
    """cfn-lint's config, answering each setting once per template.

    cfn-lint asks its config whether each of its ~330 rules is enabled for every template,
    and each answer merges the command line, the template's metadata and the config file
    anew: about a fifth of the time of linting a small body. Answers depend only on those
    arguments, and the template's part is set once per template, so they are kept until
    it is set again.
    """
    from cfnlint.config import ConfigMixIn, TemplateArgs

    class AnsweringConfig(ConfigMixIn):  # type: ignore[misc]
        def set_template_args(self, template: Any) -> None:
            super().set_template_args(template)
            self.forget_answers()

        template_args = property(TemplateArgs.get_template_args, set_template_args)

        def forget_answers(self) -> None:
            self.__dict__["_answers"] = {}

        def _get_argument_value(self, arg_name: str, is_template: bool, is_file: bool) -> Any:
            answers = self.__dict__.setdefault("_answers", {})
            key = (arg_name, is_template, is_file)
            if key not in answers:
                answers[key] = super()._get_argument_value(arg_name, is_template, is_file)
            return answers[key]

    return AnsweringConfig


def _keep_only_suppressions(template: dict[str, Any]) -> None:
    metadata = template.get("Metadata")
    settings = metadata.get("cfn-lint") if isinstance(metadata, dict) else None
    config = settings.get("config") if isinstance(settings, dict) else None
    if isinstance(settings, dict) and isinstance(config, dict):
        settings["config"] = {key: value for key, value in config.items() if key == "ignore_checks"}


def _problem(match: Any, file: str) -> Problem:
    path = getattr(match, "path", None) or ()
    return Problem(
        file=file,
        line=int(match.linenumber) if match.linenumber else None,
        field=".".join(str(part) for part in path),
        message=f"{match.rule.id} {match.message}",
    )
