"""Git object ids of files and folders on disk, computed without git.

A working tree's template folder gets the same id git would give it once committed, so
an uncommitted change to a bundle is compared with history by tree id, like any commit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

_FILE_MODE = b"100644"
_EXEC_MODE = b"100755"
_TREE_MODE = b"40000"


def blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def tree_id(files: Mapping[str, bytes], executable: frozenset[str] = frozenset()) -> str:
    """The git tree id of ``files`` (relative path → bytes), as ``git write-tree`` gives."""
    entries: dict[str, tuple[bytes, str]] = {}
    folders: dict[str, dict[str, bytes]] = {}
    for path, data in files.items():
        head, sep, rest = path.partition("/")
        if sep:
            folders.setdefault(head, {})[rest] = data
        else:
            mode = _EXEC_MODE if path in executable else _FILE_MODE
            entries[head] = (mode, blob_id(data))
    for name, inner in folders.items():
        sub_exec = frozenset(p.partition("/")[2] for p in executable if p.startswith(name + "/"))
        entries[name] = (_TREE_MODE, tree_id(inner, sub_exec))
    body = b"".join(
        mode + b" " + name.encode() + b"\0" + bytes.fromhex(sha)
        for name, (mode, sha) in sorted(entries.items(), key=_git_order)
    )
    return hashlib.sha1(b"tree %d\0" % len(body) + body, usedforsecurity=False).hexdigest()


def _git_order(item: tuple[str, tuple[bytes, str]]) -> bytes:
    # git sorts a folder as if its name ended in "/".
    name, (mode, _sha) = item
    return name.encode() + (b"/" if mode == _TREE_MODE else b"")
