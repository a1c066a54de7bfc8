"""``goldenpath status``: units, conditions, versions (outdated ones flagged) and rollouts."""

from __future__ import annotations

import argparse


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("unit", nargs="?", help="only this unit (with its outputs)")


def run(args: argparse.Namespace) -> int:
    from goldenpath.output import emit_json, say, table
    from reconciler.report.status import status_document
    from reconciler.state import StateStore

    with StateStore.open(args.state) as store:
        document = status_document(store)
    if args.unit:
        document["units"] = [u for u in document["units"] if u["id"] == args.unit]
        if not document["units"]:
            say(f"error: no unit {args.unit!r} in {args.state}")
            return 1
    if args.output == "json":
        emit_json(document)
        return 0
    rows = []
    for unit in document["units"]:
        conditions = {c["type"]: c for c in unit["conditions"]}
        ready = conditions.get("Ready", {})
        state = (
            "Ready"
            if ready.get("status")
            else (
                "Stalled"
                if conditions.get("Stalled", {}).get("status")
                else "Reconciling"
                if conditions.get("Reconciling", {}).get("status")
                else "NotReady"
            )
        )
        drifted = conditions.get("Drifted", {})
        message = ready.get("message", "")
        if drifted.get("status"):
            state += ", Drifted"
            message = drifted.get("message", "") if state.startswith("Ready") else message
        version = unit["version"]
        if unit["outdated"]:
            version += f" (outdated: {unit['recommended_version']} recommended)"
        rows.append(
            [
                unit["id"],
                state,
                version,
                unit["stack_name"],
                f"{unit['account']}/{unit['region']}",
                (unit["last_applied_revision"] or "")[:12],
                message,
            ]
        )
    say(table(["UNIT", "STATUS", "VERSION", "STACK", "ACCOUNT", "APPLIED", "MESSAGE"], rows))
    if args.unit:
        for name, value in sorted(document["units"][0]["outputs"].items()):
            say(f"  {name} = {value}")
    for unit in document["units"]:
        for line in _guardrail_lines(unit.get("guardrails") or {}):
            say(f"{unit['id']}: {line}")
    for rollout in document["rollouts"]:
        waves = ", ".join(f"{'/'.join(w['environments'])}: {w['status']}" for w in rollout["waves"])
        say(
            f"rollout {rollout['template']} → {rollout['to_version']} ({rollout['status']}): "
            f"{waves}"
        )
    return 0


def _guardrail_lines(notes: dict[str, object]) -> list[str]:
    """What the guardrails said of a unit at the last apply: held back, denied, excepted
    (with the reason and the last day), warned."""
    lines = []
    if notes.get("error"):
        lines.append(f"guardrails failed: {notes['error']}")
    for kind, label in (("denials", "denied by"), ("excepted", "exception to"),
                        ("warnings", "warning from")):
        for item in notes.get(kind) or []:  # type: ignore[attr-defined]
            where = f" on {item['resource']}" if item.get("resource") else ""
            text = f"{label} guardrail {item['rule']}{where}: {item['message']}"
            if kind == "excepted":
                text += f" (until {item['expires']}: {item['reason']})"
            lines.append(text)
    return lines
