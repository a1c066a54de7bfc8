"""The templates a snapshot offers: bundles by version, and which versions may be used.

Bundles are read once per git tree id, however many units use them. A minor version
whose input schema breaks the previous usable one is *rejected*: it is never recommended
and never chosen by a major-only ref, and when it is the newest version of its major —
the change being made right now — validation fails naming the input that broke.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reconciler.errors import Problem, SpecError
from reconciler.source.snapshot import Snapshot
from reconciler.templates.bundle import load_bundle
from reconciler.templates.compat import breaking_changes
from reconciler.templates.model import Bundle, TemplateVersion
from reconciler.templates.versions import VersionIndex

# Bundles already read in this process, by git tree id (content), name and major: a
# long-running process reads each bundle once, not once per run. Broken bundles are not
# kept (their problems are wanted on every run). Bounded: past it, the oldest go first.
_LOADED: dict[tuple[str, str, int], Bundle] = {}
MAX_LOADED_BUNDLES = 256


def _remember(tree_id: str, version: TemplateVersion, bundle: Bundle | None) -> None:
    if bundle is None:
        return
    while len(_LOADED) >= MAX_LOADED_BUNDLES:
        del _LOADED[next(iter(_LOADED))]
    _LOADED[(tree_id, version.name, version.major)] = bundle


@dataclass
class Catalog:
    snapshot: Snapshot
    _bundles: dict[str, Bundle | None] = field(default_factory=dict)
    _problems: dict[str, list[Problem]] = field(default_factory=dict)
    rejected: dict[TemplateVersion, str] = field(default_factory=dict)

    @property
    def index(self) -> VersionIndex:
        return self.snapshot.versions

    def bundle(self, version: TemplateVersion) -> Bundle | None:
        """The bundle of ``version``; None (with problems recorded) when it is broken."""
        key = version.tree_id
        if key not in self._bundles:
            known = _LOADED.get((key, version.name, version.major))
            if known is not None:
                self._bundles[key] = known
                return known
            root = f"templates/{version.name}/v{version.major}"
            try:
                files = self.snapshot.bundles.files_of(version)
                self._bundles[key] = load_bundle(
                    files, root=root, name=version.name, major=version.major
                )
                _remember(key, version, self._bundles[key])
            except SpecError as exc:
                self._bundles[key] = None
                self._problems[key] = list(exc.problems)
        return self._bundles[key]

    def problems_of(self, version: TemplateVersion) -> list[Problem]:
        self.bundle(version)
        return self._problems.get(version.tree_id, [])

    def usable(self, name: str, major: int) -> list[TemplateVersion]:
        return [v for v in self.index.of(name, major) if v not in self.rejected]

    def recommended(self, name: str) -> TemplateVersion | None:
        """The highest usable version of a template, over every major."""
        best = [u[-1] for m in self.index.majors(name) if (u := self.usable(name, m))]
        return max(best, key=lambda v: (v.major, v.minor)) if best else None

    def choose(self, name: str, version: str) -> TemplateVersion | None:
        """A ref ``"1"`` → the newest usable 1.x; ``"1.2"`` → exactly 1.2, if it exists."""
        if "." in version:
            return self.index.find(name, version)
        usable = self.usable(name, int(version))
        return usable[-1] if usable else None

    def check_minor_bumps(self) -> list[Problem]:
        """Reject incompatible minors; problems for the newest version of each major."""
        problems: list[Problem] = []
        for name in self.index.names():
            for major in self.index.majors(name):
                problems += self._check_major(name, major)
        return problems

    def _check_major(self, name: str, major: int) -> list[Problem]:
        versions = self.index.of(name, major)
        problems: list[Problem] = []
        previous: Bundle | None = None
        previous_version = ""
        for version in versions:
            bundle = self.bundle(version)
            if bundle is None:
                if version is versions[-1]:
                    problems += self.problems_of(version)
                continue
            breaks = (
                breaking_changes(previous.input_schemas, bundle.input_schemas)
                if previous is not None
                else []
            )
            if breaks:
                self.rejected[version] = "; ".join(breaks)
                if version is versions[-1]:
                    problems += [
                        Problem(
                            f"{bundle.root}/schema/schema.yaml",
                            None,
                            "schema",
                            f"version {version.version} of {name} is not backward "
                            f"compatible with {previous_version}: {why}; "
                            f"make it a new major version (v{major + 1}) instead",
                        )
                        for why in breaks
                    ]
                continue
            previous, previous_version = bundle, version.version
        return problems
