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
from reconciler.source.treehash import tree_id
from reconciler.templates.bundle import load_bundle
from reconciler.templates.compat import breaking_changes
from reconciler.templates.component import component_files, component_root, load_component
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


# Components read in this process, by the git tree id of their folder (bounded likewise).
_COMPONENTS: dict[tuple[str, str], Bundle] = {}

# A component's files, its folder, its tree id: the component, or its problems.
Component = tuple[TemplateVersion, Bundle]


@dataclass
class Catalog:
    snapshot: Snapshot
    _bundles: dict[str, Bundle | None] = field(default_factory=dict)
    _problems: dict[str, list[Problem]] = field(default_factory=dict)
    rejected: dict[TemplateVersion, str] = field(default_factory=dict)
    # The snapshot's component folders, (service, name) → file paths; read on first use
    # and never carried over to another snapshot (``replace`` resets it).
    _component_paths: dict[tuple[str, str], list[str]] | None = field(default=None, init=False)
    _components: dict[tuple[str, str], Component | list[Problem]] = field(
        default_factory=dict, init=False
    )

    def component_folders(self) -> dict[tuple[str, str], list[str]]:
        """Every ``services/<service>/components/<name>/`` of the snapshot, with its files."""
        if self._component_paths is None:
            self._component_paths = component_files(self.snapshot.files)
        return self._component_paths

    def component_names(self, service: str) -> list[str]:
        return sorted(name for owner, name in self.component_folders() if owner == service)

    def component(self, service: str, name: str) -> Component | list[Problem]:
        """The component ``name`` of ``service`` with its version (its content), or the
        problems of its folder (none: there is no such folder)."""
        key = (service, name)
        if key not in self._components:
            self._components[key] = self._read_component(service, name)
        return self._components[key]

    def _read_component(self, service: str, name: str) -> Component | list[Problem]:
        paths = self.component_folders().get((service, name))
        if not paths:
            return []
        root = component_root(service, name)
        files = {path: self.snapshot.files[path] for path in paths}
        tree = tree_id({path[len(root) + 1 :]: data for path, data in files.items()})
        version = TemplateVersion(root, 0, 0, "", tree, "component")
        known = _COMPONENTS.get((tree, root))
        if known is not None:
            return version, known
        try:
            bundle = load_component(files, service=service, name=name)
        except SpecError as exc:
            return list(exc.problems)
        while len(_COMPONENTS) >= MAX_LOADED_BUNDLES:
            del _COMPONENTS[next(iter(_COMPONENTS))]
        _COMPONENTS[(tree, root)] = bundle
        return version, bundle

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
