"""What plan and apply print: tables for people, JSON for scripts, progress in a terminal."""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Any

from goldenpath.output import emit_json, say, table
from reconciler.apply.engine import Applied
from reconciler.plan.planning import Planned

SYMBOLS = {
    "create": "+",
    "adopt": "=",
    "update": "~",
    "delete": "-",
    "noop": " ",
    "blocked": "!",
    "denied": "x",
}


def plan_json(planned: Planned) -> dict[str, Any]:
    document = planned.plan.to_json()
    document["rollouts"] = [r.to_json() for r in planned.rollouts]
    document["errors"] = [p.as_dict() for p in planned.build.errors]
    document["guardrails"] = guardrails_json(planned)
    return document


def guardrails_json(planned: Planned) -> list[dict[str, Any]]:
    """What the guardrails said of each unit they had something to say about."""
    return [v.to_json() for _, v in sorted(planned.verdicts.items()) if v.noteworthy]


def guardrail_lines(planned: Planned) -> list[str]:
    """Warnings and exceptions in force, one line each (denials are in the plan rows)."""
    lines = []
    for unit_id, verdict in sorted(planned.verdicts.items()):
        for denial in verdict.denials[1:]:
            lines.append(f"    {unit_id}: also denied by guardrail {denial}")
        for warning in verdict.warnings:
            lines.append(f"    {unit_id}: guardrail warning {warning}")
        for excepted in verdict.excepted:
            lines.append(f"    {unit_id}: guardrail exception: {excepted}")
    return lines


def print_plan(planned: Planned, output: str) -> None:
    if output == "json":
        emit_json(plan_json(planned))
        return
    for problem in planned.build.errors:
        say(f"error: {problem}")
    rows = []
    for unit in planned.plan.units:
        versions = unit.to_version or ""
        if unit.from_version and unit.from_version != unit.to_version:
            versions = f"{unit.from_version} → {unit.to_version or '(gone)'}"
        rows.append([f"{SYMBOLS[unit.action]} {unit.unit_id}", unit.action, versions, unit.reason])
    say(table(["UNIT", "ACTION", "VERSION", "WHY"], rows))
    for unit in planned.plan.units:
        for change in unit.changes:
            flag = {"True": "  REPLACEMENT", "Conditional": "  REPLACEMENT (conditional)"}.get(
                change.replacement or "", ""
            )
            say(f"    {unit.unit_id}: {change.action} {change.logical_id} ({change.type}){flag}")
        for kept in unit.retained:
            say(f"    {unit.unit_id}: keeps {kept}")
        for line in file_lines(unit):
            say(line)
    for line in guardrail_lines(planned):
        say(line)
    for rollout in planned.rollouts:
        waves = ", ".join(f"{w.name}: {w.status}" for w in rollout.waves)
        say(
            f"rollout {rollout.template} {rollout.from_version} → {rollout.to_version} "
            f"({rollout.status}): {waves}"
        )
    summary = planned.plan.summary
    say(
        "plan: "
        + ", ".join(
            f"{n} to {a}" if a in ("create", "adopt", "update", "delete") else f"{n} {a}"
            for a, n in summary.items()
            if n
        )
    )


def file_lines(unit: Any) -> list[str]:
    """A Terraform unit's files the plan writes, each with its diff, indented."""
    if unit.platform != "terraform" or unit.action not in ("create", "update"):
        return []
    if unit.files is None and unit.known_after_apply:
        waits = ", ".join(unit.known_after_apply)
        return [f"    {unit.unit_id}: files known after apply of {waits}"]
    if unit.files is None:
        return [f"    {unit.unit_id}: which files change is not known (no plan here kept the last)"]
    lines = []
    for change in unit.files:
        lines.append(f"    {unit.unit_id}: {change.action} {change.path}")
        if change.action == "modify":
            lines += [f"      {text}" for text in change.diff.splitlines()]
    return lines


def print_apply(applied: Applied, output: str) -> None:
    report = applied.report
    if output == "json":
        emit_json(
            {
                "revision": applied.planned.plan.revision,
                "passes": applied.passes,
                "ok": report.ok,
                "units": [
                    {"id": uid, "outcome": o.kind, "reason": o.reason, "message": o.message}
                    for uid, o in sorted(report.outcomes.items())
                ],
                "errors": [p.as_dict() for p in applied.planned.build.errors],
                "guardrails": guardrails_json(applied.planned),
            }
        )
        return
    for problem in applied.planned.build.errors:
        say(f"error: {problem}")
    for line in guardrail_lines(applied.planned):
        say(line.strip())
    for uid, outcome in sorted(report.outcomes.items()):
        if outcome.kind != "unchanged":
            say(f"{outcome.kind:>9}  {uid}: {outcome.message or outcome.reason}")
    say(
        f"apply: {report.count('applied')} applied, {report.count('unchanged')} up to date, "
        f"{report.count('failed', 'invalid')} failed, {report.count('blocked')} blocked, "
        f"{report.count('denied')} denied, {report.count('retrying')} to retry"
    )


def terminal_progress(unit: str) -> Any:
    """A started rich progress display on stderr: description, bar, ``done/total unit``."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    counted = f"{{task.completed}}/{{task.total}} {unit}".rstrip()
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn(counted),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    )
    progress.start()
    return progress


class ApplyProgressView:
    """A progress bar on a terminal; otherwise one structured log line per unit event."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.progress: Any = None
        self.task: Any = None
        self.started = 0

    def __enter__(self) -> ApplyProgressView:
        if self.enabled:
            self.progress = terminal_progress("")
            self.task = self.progress.add_task("applying", total=None)
        return self

    def update(self, unit_id: str, event: str, message: str) -> None:
        import structlog

        structlog.get_logger("goldenpath.apply").info(
            f"unit.{event}", unit=unit_id, message=message
        )
        if self.progress is None:
            return
        if event == "start":
            self.started += 1
            self.progress.update(self.task, total=self.started, description=f"{message} {unit_id}")
        elif event in ("applied", "failed", "invalid", "blocked", "retrying", "denied"):
            self.progress.advance(self.task)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.progress is not None:
            self.progress.stop()
