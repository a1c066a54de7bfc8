"""Outputs and exports, captured when an operation completes, and the exports in use.

CloudFormation shows a stack's outputs as of its last completed operation, and refuses to
delete or change an export another stack imports. moto evaluates outputs on every read
and never checks imports. Here outputs and exports are captured once, at completion, into
the ledger and into moto's export table (which ``Fn::ImportValue`` reads), and each
stack's imports are recorded so that ``importers`` can tell who uses an export.
"""

from __future__ import annotations

from typing import Any

from moto.cloudformation import parsing
from moto.cloudformation.parsing import Export

from emulator.stacks.ledger import ledger_of


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ",".join(_text(item) for item in value)
    return str(value)


def _find_imports(node: Any, found: list[Any]) -> None:
    if isinstance(node, dict):
        if "Fn::ImportValue" in node and len(node) == 1:
            found.append(node["Fn::ImportValue"])
            return
        for value in node.values():
            _find_imports(value, found)
    elif isinstance(node, list):
        for item in node:
            _find_imports(item, found)


def imports_of(stack: Any) -> set[str]:
    """The export names a stack's template imports, resolved against the stack."""
    found: list[Any] = []
    for section in ("Resources", "Outputs", "Conditions"):
        _find_imports(stack.template_dict.get(section) or {}, found)
    return {_text(parsing.clean_json(name, stack.resource_map)) for name in found}


def importers(backend: Any, export_name: str, exporter: Any) -> list[str]:
    """Names of the other live stacks that import an export."""
    return sorted(
        other.name
        for other in list(backend.stacks.values())
        if other is not exporter and export_name in ledger_of(other).imports
    )


def _stack_name(backend: Any, stack_id: str) -> str:
    owner = backend.stacks.get(stack_id)
    return owner.name if owner is not None else stack_id


def publish(stack: Any, backend: Any) -> str | None:
    """Capture outputs and exports after a successful operation.

    Returns the reason the operation must fail instead (an export clash or an export in
    use that would change), or None when everything was recorded.
    """
    outputs: list[dict[str, Any]] = []
    exports: dict[str, str] = {}
    declared = stack.template_dict.get("Outputs") or {}
    try:
        for key, declaration in declared.items():
            output = stack.output_map[key]
            if output is None or output.value is None:
                continue  # a condition left it out (or moto dropped what it refers to)
            entry: dict[str, Any] = {
                "OutputKey": key,
                "OutputValue": _text(output.value),
                "Description": output.description,
            }
            export = declaration.get("Export") if isinstance(declaration, dict) else None
            if isinstance(export, dict) and "Name" in export:
                name = _text(parsing.clean_json(export["Name"], stack.resource_map))
                entry["ExportName"] = name
                exports[name] = entry["OutputValue"]
            outputs.append(entry)
        imports = imports_of(stack)
    except Exception as exc:
        message = getattr(exc, "message", None) or str(exc)
        return f"Template error: outputs could not be evaluated: {message}"
    ledger = ledger_of(stack)
    for name in exports:
        owner = backend.exports.get(name)
        if owner is not None and owner.exporting_stack_id != stack.stack_id:
            return (
                f"Export with name {name} is already exported by stack "
                f"{_stack_name(backend, owner.exporting_stack_id)}"
            )
    for name, value in ledger.exports.items():
        users = importers(backend, name, stack)
        if users and name not in exports:
            return f"Export {name} cannot be deleted as it is in use by {', '.join(users)}"
        if users and exports[name] != value:
            return f"Cannot update export {name} as it is in use by {', '.join(users)}"
    withdraw_exports(stack, backend)
    for name, value in exports.items():
        backend.exports[name] = Export(stack.stack_id, name, value)
    ledger.exports = exports
    ledger.outputs = outputs or None
    ledger.imports = imports
    return None


def withdraw_exports(stack: Any, backend: Any) -> None:
    """Remove a stack's exports from the region's export table."""
    for name in list(ledger_of(stack).exports):
        owner = backend.exports.get(name)
        if owner is not None and owner.exporting_stack_id == stack.stack_id:
            del backend.exports[name]


def exports_in_use(stack: Any, backend: Any) -> str | None:
    """Why a stack cannot be deleted because of its exports, or None."""
    for name in ledger_of(stack).exports:
        users = importers(backend, name, stack)
        if users:
            return f"Export {name} cannot be deleted as it is in use by {', '.join(users)}"
    return None
