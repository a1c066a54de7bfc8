"""The one pull-request comment: validation, the plan table, guardrails and blast radii.

Markdown that reads well on GitHub and GitLab alike. Composed here, above the forge
clients, which only deliver it (and cut it to the forge's limit, with a note).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.checks.blast import Touched
from reconciler.checks.policy_blast import PolicyTouched
from reconciler.errors import Problem
from reconciler.guardrails import Verdict

ICONS = {
    "create": "+",
    "adopt": "=",
    "update": "~",
    "delete": "-",
    "noop": "",
    "blocked": "!",
    "denied": "x",
}
# Rows of the plan table shown before the rest is summarised.
MAX_ROWS = 200
# Rows of each guardrails table shown before the rest is summarised.
MAX_GUARDRAIL_ROWS = 100
EFFECT_WORDS = {
    "moves": "moves automatically (rollout in waves)",
    "outdated": "shows as outdated (manual updates)",
}
EFFECTS = {
    "fails": "❌ cannot be judged (held back)",
    "denied": "❌ denied",
    "excepted": "🔓 denied, let through by an exception",
    "warned": "⚠️ warned",
}


def compose(
    *,
    head: str,
    problems: Sequence[Problem],
    plan: dict[str, Any],
    touched: Sequence[Touched],
    plan_url: str | None,
    verdicts: Sequence[Verdict] = (),
    policy_touched: Sequence[PolicyTouched] = (),
) -> str:
    lines = [f"### Goldenpath plan for `{head[:12]}`", ""]
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        lines.append(f"**validate**: ❌ {len(errors)} problem(s)")
        lines += [f"- `{_where(p)}` {p.message}" for p in errors[:50]]
        if len(errors) > 50:
            lines.append(f"- … and {len(errors) - 50} more")
    else:
        lines.append(
            "**validate**: ✅ schemas, templates, versions, access, guardrails and lint passed"
        )
    lines.append("")
    changing = [u for u in plan["units"] if u["action"] != "noop"]
    summary = ", ".join(f"{n} {a}" for a, n in plan["summary"].items() if n)
    lines.append(f"**plan**: {summary or 'nothing'}")
    if changing:
        lines += ["", "| unit | action | version | resource changes |", "|---|---|---|---|"]
        for unit in changing[:MAX_ROWS]:
            lines.append(
                f"| `{unit['id']}` | {ICONS.get(unit['action'], '')} {unit['action']} "
                f"| {_versions(unit)} | {_changes(unit)} |"
            )
        if len(changing) > MAX_ROWS:
            lines.append(f"| … | {len(changing) - MAX_ROWS} more units | | |")
    lines += blast_lines(touched)
    lines += _guardrails(verdicts)
    lines += _policy_blast(policy_touched)
    if plan_url:
        lines += ["", f"[Plan page]({plan_url})"]
    return "\n".join(lines) + "\n"


def blast_lines(
    touched: Sequence[Touched],
    heading: str = "#### Blast radius",
    effect_words: Mapping[str, str] = EFFECT_WORDS,
) -> list[str]:
    """The blast radius: a table of units and versions, each unit's resource changes,
    and its render diff folded away (shared by the plan comment and update PRs)."""
    if not touched:
        return []
    lines = ["", heading, "", "| unit | effect | version |", "|---|---|---|"]
    for entry in touched:
        lines.append(
            f"| `{entry.unit_id}` | {effect_words[entry.effect]} "
            f"| {entry.from_version} → {entry.to_version} |"
        )
    for entry in touched:
        if entry.resources:
            lines += ["", f"`{entry.unit_id}`: {_resources(entry)}"]
    for entry in touched:
        if entry.diff:
            lines += [
                "",
                f"<details><summary>render diff of <code>{entry.unit_id}</code></summary>",
                "",
                "```diff",
                entry.diff,
                "```",
                "",
                "</details>",
            ]
    return lines


def _guardrails(verdicts: Sequence[Verdict]) -> list[str]:
    """Every denial, warning and exception of the head's guardrails, one row each."""
    rows = []
    for verdict in verdicts:
        if verdict.error is not None:
            rows.append((verdict.unit_id, "❌ held back", "", "", verdict.error))
        rows += [
            (verdict.unit_id, "❌ deny", f.rule, f.resource, f.message) for f in verdict.denials
        ]
        rows += [
            (verdict.unit_id, "⚠️ warn", f.rule, f.resource, f.message) for f in verdict.warnings
        ]
        rows += [
            (
                verdict.unit_id,
                "🔓 excepted",
                e.finding.rule,
                e.finding.resource,
                f"{e.finding.message} (until {e.exception.expires}: {e.exception.reason})",
            )
            for e in verdict.excepted
        ]
    if not rows:
        return []
    lines = ["", "#### Guardrails", "", "| unit | result | rule | resource | message |"]
    lines.append("|---|---|---|---|---|")
    for unit, result, rule, resource, message in rows[:MAX_GUARDRAIL_ROWS]:
        lines.append(
            f"| `{unit}` | {result} | `{rule}` | `{resource}` | {_cell(message)} |"
            if rule
            else f"| `{unit}` | {result} | | | {_cell(message)} |"
        )
    if len(rows) > MAX_GUARDRAIL_ROWS:
        lines.append(f"| … | {len(rows) - MAX_GUARDRAIL_ROWS} more | | | |")
    return lines


def _policy_blast(touched: Sequence[PolicyTouched]) -> list[str]:
    if not touched:
        return []
    denied = sum(1 for t in touched if t.effect in ("denied", "fails"))
    lines = [
        "",
        "#### Policy blast radius",
        "",
        f"This change to `policies/` holds back {denied} deployed unit(s) "
        f"and has something to say about {len(touched) - denied} more.",
        "",
        "| unit | effect | new | findings |",
        "|---|---|---|---|",
    ]
    for entry in touched[:MAX_GUARDRAIL_ROWS]:
        said = [f"`{f.rule}` {f.resource}: {f.message}".strip() for f in entry.findings]
        if entry.error:
            said.insert(0, entry.error)
        lines.append(
            f"| `{entry.unit_id}` | {EFFECTS[entry.effect]} | {'yes' if entry.new else ''} "
            f"| {'<br>'.join(_cell(s) for s in said)} |"
        )
    if len(touched) > MAX_GUARDRAIL_ROWS:
        lines.append(f"| … | {len(touched) - MAX_GUARDRAIL_ROWS} more units | | |")
    return lines


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


RESOURCE_VERBS = {"remove": "removes", "replace": "replaces", "add": "adds", "modify": "modifies"}


def _resources(entry: Touched) -> str:
    """``removes Service (AWS::ECS::Service); adds …``, one clause per kind of change."""
    clauses = []
    for action, verb in RESOURCE_VERBS.items():
        named = [f"{r.logical_id} ({r.type})" for r in entry.resources if r.action == action]
        if named:
            clauses.append(f"{verb} {', '.join(named)}")
    return "; ".join(clauses)


def _where(problem: Problem) -> str:
    where = problem.file + (f":{problem.line}" if problem.line else "")
    return f"{where} {problem.field}".strip()


def _versions(unit: dict[str, Any]) -> str:
    old, new = unit.get("from_version"), unit.get("to_version")
    if old and new and old != new:
        return f"{old} → {new}"
    return new or old or ""


def _changes(unit: dict[str, Any]) -> str:
    parts = []
    for change in unit.get("changes", []):
        flag = " **replacement**" if change.get("replacement") == "True" else ""
        parts.append(f"{change['action']} {change['logical_id']}{flag}")
    if unit.get("known_after_apply"):
        parts.append("inputs known after apply")
    if unit.get("retained"):
        parts.append("keeps " + ", ".join(unit["retained"]))
    if not parts:
        parts.append(unit.get("reason", ""))
    return "<br>".join(p.replace("|", "\\|") for p in parts)
