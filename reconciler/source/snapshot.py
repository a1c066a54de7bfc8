"""What the source step hands to the pure core: a platform repo at one revision.

The core never reads git or disk itself. It gets the files, the template versions
derived from history, and a ``BundleReader`` that returns the files of an older version
(a pinned instance renders the bundle as it was at its commit).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from reconciler.templates.model import TemplateVersion
from reconciler.templates.versions import VersionIndex

WORKING_TREE = "working-tree"


class BundleReader(Protocol):
    def files_of(self, version: TemplateVersion) -> Mapping[str, bytes]:
        """The files of ``version``'s folder, keyed by repo-relative path."""
        ...


@dataclass(frozen=True)
class Changes:
    """Where ``files`` differ from an earlier snapshot's: a hint that spares comparing all.

    ``paths`` are those added, removed or with other bytes than in ``since`` (that
    snapshot's very mapping); every other path maps to the same bytes object in both.
    """

    since: Mapping[str, bytes]
    paths: frozenset[str]


@dataclass(frozen=True)
class Snapshot:
    revision: str  # a commit id, or WORKING_TREE for files on disk
    files: Mapping[str, bytes]
    versions: VersionIndex
    bundles: BundleReader
    changes: Changes | None = None  # relative to the source's previous snapshot, if known
