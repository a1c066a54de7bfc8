"""Multi-line filter output, re-indented to the column where the filter was called.

Proton's formatting filters return YAML blocks: a list of ECS environment entries, a
mapping of Lambda variables, a list of policy ARNs. Jinja inserts a value verbatim, so only
the first line of a block lands at the column of the ``{{``; the lines after it start at
column 0 and break the YAML around them (RENDERING-NOTES quirk 6). A filter cannot know its
column, because the output before it is not visible to it. So the filters return their
block between two marker characters, and one pass over the finished output replaces each
marked block by its lines, each line after the first indented to the column where the block
starts. The column is measured in the output, so it is right even when text written before
the call on the same line came from other expressions.
"""

from __future__ import annotations

import re

# Unicode private-use characters: CloudFormation templates have no use for them. A marker
# that is left unpaired (say, because a template sliced a block) is dropped.
BLOCK_START = "\ue000"
BLOCK_END = "\ue001"
_MARKED_BLOCK = re.compile(f"{BLOCK_START}([^{BLOCK_START}{BLOCK_END}]*){BLOCK_END}")
_LINE_WITH_TEXT = re.compile(r"\n(?=[^\n])")


def mark_block(text: str) -> str:
    """Wraps filter output so that ``lay_out_blocks`` re-indents it where it lands."""
    return f"{BLOCK_START}{text}{BLOCK_END}"


def lay_out_blocks(body: str) -> str:
    """Replaces every marked block in ``body`` by its lines, indented to the block's column."""
    if BLOCK_START not in body and BLOCK_END not in body:
        return body
    pieces: list[str] = []
    column = 0
    position = 0
    for match in _MARKED_BLOCK.finditer(body):
        before = body[position : match.start()]
        column = _column_after(before, column)
        block = _LINE_WITH_TEXT.sub("\n" + " " * column, match.group(1))
        column = _column_after(block, column)
        pieces += (before, block)
        position = match.end()
    pieces.append(body[position:])
    return "".join(pieces).replace(BLOCK_START, "").replace(BLOCK_END, "")


def _column_after(text: str, column: int) -> int:
    newline = text.rfind("\n")
    return column + len(text) if newline < 0 else len(text) - newline - 1
