"""``proton.<kind>.variables.tf``: the Terraform declarations of a unit's namespaces.

Written as Proton wrote them (the corpus's ``my_first_tf_env_2``): a header comment naming
the resource, then one ``variable`` block per namespace, each followed by a blank line,
in ``terraform fmt`` style (two-space indents, ``=`` aligned over consecutive one-line
attributes). The attribute order inside each object type is Proton's, which is not
sorted (``service_instance`` declares ``name`` before ``inputs``); see ``_files.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# An attribute's type: one line (``map(string)``), or a nested object's attributes.
Attribute = tuple[str, "str | Sequence[Attribute]"]

HEADER = """/*
This file is managed by Goldenpath. Any changes made directly to this file will be \
overwritten the next time Goldenpath performs an update.

To manage this resource, see Goldenpath unit: {unit_id} ({urn})

If the resource is no longer accessible within Goldenpath, it may have been deleted and \
may require manual cleanup.
*/

"""


@dataclass(frozen=True)
class Variable:
    """One ``variable`` block: an object type (or a list of one), and whether it defaults
    to null (Proton left ``service`` without a default in an instance's file)."""

    name: str
    attributes: Sequence[Attribute]
    default_null: bool = True
    list_of: bool = False


def managed_header(unit_id: str, urn: str) -> bytes:
    """The comment Proton put at the top of every ``.tf`` file it wrote, blank line after."""
    return HEADER.format(unit_id=unit_id, urn=urn).encode("utf-8")


def variables_file(unit_id: str, urn: str, variables: Sequence[Variable]) -> bytes:
    out = [HEADER.format(unit_id=unit_id, urn=urn)]
    for variable in variables:
        out.append(f'variable "{variable.name}" {{\n')
        if variable.list_of:
            out.append("  type = list(\n    object({\n")
            out += _attributes(variable.attributes, 3)
            out.append("    })\n  )\n")
        else:
            out.append("  type = object({\n")
            out += _attributes(variable.attributes, 2)
            out.append("  })\n")
        if variable.default_null:
            out.append("  default = null\n")
        out.append("}\n\n")
    return "".join(out).encode("utf-8")


def _attributes(attributes: Sequence[Attribute], depth: int) -> list[str]:
    """Attribute lines; ``=`` aligned over each run of one-line attributes, as fmt does."""
    indent = "  " * depth
    lines: list[str] = []
    run: list[tuple[str, str]] = []

    def flush() -> None:
        width = max((len(name) for name, _ in run), default=0)
        lines.extend(f"{indent}{name.ljust(width)} = {kind}\n" for name, kind in run)
        run.clear()

    for name, kind in attributes:
        if isinstance(kind, str):
            run.append((name, kind))
            continue
        flush()
        lines.append(f"{indent}{name} = object({{\n")
        lines += _attributes(kind, depth + 1)
        lines.append(f"{indent}}})\n")
    flush()
    return lines
