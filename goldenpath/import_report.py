"""What ``goldenpath import`` prints: per unit, whether its render matches the live stack.

Human form: a table (unit, stack, version, result), then per unit what could not be
recovered and the diff of a unit that differs, then the stacks that could not be taken.
``--output json``: one document with the same facts. A progress bar runs on a terminal
while the accounts are scanned.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any


@dataclass(frozen=True)
class Outcome:
    out: str
    existing: bool
    recovered: Any
    estate: Any
    unreadable: tuple[Any, ...]
    skipped: dict[str, str]
    written: list[str]
    conflicts: list[str]
    pipelines_accounts: list[str] = field(default_factory=list)

    def errors(self) -> list[str]:
        found = [f"stack {p}" for p in self.estate.problems]
        found += [f"account {a.id}/{a.region}: cannot list stacks: {m}" for a, m in self.unreadable]
        found += [f"{unit}: not imported: {why}" for unit, why in sorted(self.skipped.items())]
        found += [
            f"{self.out}/{rel}: exists with other content; refusing to overwrite it "
            "(nothing was written)"
            for rel in self.conflicts
        ]
        if len(self.pipelines_accounts) > 1:
            found.append(
                "pipeline stacks were found in several accounts "
                f"({', '.join(self.pipelines_accounts)}); goldenpath.yaml names the first"
            )
        return found

    def exit_code(self) -> int:
        if self.errors():
            return 1
        return 2 if any(not u.matches for u in self.recovered.units()) else 0


def _result(unit: Any) -> str:
    if unit.recovery.error is not None:
        return "error"
    return "matches exactly" if unit.matches else "differs"


def _unit_json(unit: Any) -> dict[str, Any]:
    stack = unit.stack
    recovery = unit.recovery
    return {
        "id": unit.unit_id,
        "kind": stack.unit.kind,
        "account": stack.account,
        "region": stack.region,
        "stackName": stack.stack_name,
        "stackId": stack.stack_id,
        "result": _result(unit),
        "template": recovery.bundle.name if recovery.bundle else stack.unit.template,
        "version": recovery.version,
        "inputsFrom": recovery.source,
        "inputs": dict(recovery.inputs),
        "written": dict(recovery.given),
        "unrecovered": list(recovery.unrecovered),
        "notes": list(unit.notes),
        "error": recovery.error,
        "diff": recovery.diff,
    }


def report(args: argparse.Namespace, outcome: Outcome) -> int:
    from goldenpath.output import emit_json, say, table

    units = outcome.recovered.units()
    code = outcome.exit_code()
    components = [
        {"id": c.unit.id, "account": c.account, "region": c.region, "stackName": c.stack_name}
        for c in outcome.estate.components
    ]
    if args.output == "json":
        emit_json(
            {
                "ok": code == 0,
                "exitCode": code,
                "out": outcome.out,
                "written": outcome.written,
                "units": [_unit_json(u) for u in units],
                "components": components,
                "errors": outcome.errors(),
            }
        )
        return code
    rows = [
        (
            u.unit_id,
            f"{u.stack.account}/{u.stack.stack_name}",
            u.recovery.version or "-",
            _result(u),
        )
        for u in units
    ]
    say(table(("UNIT", "STACK", "VERSION", "RESULT"), rows))
    for unit in units:
        lines = [*unit.notes, *unit.recovery.unrecovered]
        if unit.recovery.error:
            lines.append(f"error: {unit.recovery.error}")
        if lines or unit.recovery.diff:
            say(f"\n{unit.unit_id} (inputs from {unit.recovery.source}):")
            for line in lines:
                say(f"  - {line}")
            if unit.recovery.diff:
                say(unit.recovery.diff)
    for component in components:
        say(
            f"\n{component['id']}: found ({component['stackName']}), not imported: put its "
            "template in services/<service>/components/<name>/ and attach it with "
            "{name, stackName} to adopt the stack"
        )
    for line in outcome.errors():
        say(f"error: {line}")
    matching = sum(1 for u in units if u.matches)
    differing = sum(1 for u in units if not u.matches and u.recovery.error is None)
    failed = len(units) - matching - differing
    where = "(uncommitted, for review)" if outcome.existing else "(one commit)"
    say(
        f"\nimport: {len(units)} unit(s): {matching} match exactly, {differing} differ, "
        f"{failed} failed; wrote {len(outcome.written)} file(s) to {outcome.out} {where}"
    )
    return code


def error_exit(args: argparse.Namespace, problems: list[str]) -> int:
    from goldenpath.output import emit_json, say

    if args.output == "json":
        emit_json({"ok": False, "exitCode": 1, "errors": problems, "units": [], "written": []})
    else:
        for problem in problems:
            say(f"error: {problem}")
    return 1


class ScanProgressView:
    """A progress bar on a terminal while accounts are scanned; silent otherwise."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.progress: Any = None
        self.tasks: dict[str, Any] = {}

    def __enter__(self) -> ScanProgressView:
        if self.enabled:
            from goldenpath.report import terminal_progress

            self.progress = terminal_progress("stacks")
        return self

    def update(self, account: str, done: int, total: int) -> None:
        if self.progress is None:
            return
        task = self.tasks.get(account)
        if task is None:
            task = self.tasks[account] = self.progress.add_task(f"scanning {account}", total=total)
        self.progress.update(task, completed=done, total=total)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.progress is not None:
            self.progress.stop()
