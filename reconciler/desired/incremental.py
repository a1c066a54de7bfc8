"""Build again after a change, doing only the work that the change calls for.

With a ``ContentMemo``, each spec file, service and unit is reused under a key that
names its inputs (``reuse``). Finding those keys, ordering the units and checking them
together still costs a few microseconds per file, service and unit: at thousands of
services, most of a re-validation. So the memo also keeps the last build in parts
(``BuildBase``), and when the next snapshot differs from it only in service files, only
these are redone:

- the changed files are loaded again; the services they define, and the services that
  bind those (through the reverse bindings, transitively), get new keys and are built
  again or found in the memo;
- everything else is the last build's: every other service's units, problems and policy
  decisions, the environments and templates, and (when the rebuilt units keep their
  ids, dependencies and targets) the dependency order and the stack-name check.

Any other change (an environment, ``goldenpath.yaml``, ``teams.yaml``, a template, the
versions in use, a service name defined in two files) builds from the snapshot, reusing
by content. Either way the build equals ``build_desired``'s, problem for problem and in
the same order; the tests compare the two after each kind of change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from reconciler.desired.build import Build, Builder
from reconciler.desired.catalog import Catalog
from reconciler.desired.graph import order_units
from reconciler.desired.reuse import (
    BUILT_SERVICES,
    Built,
    binders_of,
    bound_by,
    built_json,
    built_of,
    bundle_key,
    rehydrate,
    repo_key,
    service_keys,
)
from reconciler.desired.rules import stack_name_problems
from reconciler.desired.units import DesiredState, Unit
from reconciler.errors import Problem
from reconciler.source.snapshot import Snapshot
from reconciler.specs.loader import (
    FOLDER_KINDS,
    SPEC_FILES,
    Loaded,
    collect_specs,
    is_spec_path,
    load_spec_files,
    spec_paths,
)
from reconciler.specs.memo import ContentMemo
from reconciler.specs.model import Service, Specs
from reconciler.templates.component import component_of
from reconciler.templates.model import Bundle
from reconciler.templates.versions import VersionIndex

# Memo slot: the last build, in parts (live only).
LAST_BUILD = "last-build"
_SERVICES = next(folder for folder, kind in FOLDER_KINDS.items() if kind == "Service") + "/"


@dataclass(frozen=True)
class Rebuilt:
    """A build, and what it redid relative to the build ``since`` (None: all of it)."""

    build: Build
    token: object  # this build, for the next one's ``since``
    since: object | None
    changed: frozenset[str]  # unit ids (before and after) of the services built again


@dataclass(frozen=True)
class BuildParts:
    """What a build is put together from, each part kept or replaced on its own."""

    files: Mapping[str, bytes]
    versions: VersionIndex
    in_use: Mapping[str, str]
    loaded: dict[str, Loaded]  # spec file → what it holds
    spec_keys: dict[str, str]  # spec file → its content key
    spec_problems: dict[str, list[Problem]]  # spec file → its problems (when it has some)
    owners: dict[str, str]  # service name → the file defining it (the first, if several)
    twice: frozenset[str]  # service names defined more than once
    specs: Specs
    catalog: Catalog
    shared: list[Problem]  # the templates' and the environments' problems
    environments: dict[str, Unit]
    invalid_environments: dict[str, str]
    repo: str  # the repo key
    keys: dict[str, str]  # service name → its key (absent on or above a binding cycle)
    binders: dict[str, frozenset[str]]  # service name → the services binding it
    built: dict[str, Built]  # service name → what building it added, in services order
    position: dict[str, int]  # service name → its place in services order
    noted: frozenset[str]  # services whose build found problems, denials or invalid units


@dataclass(frozen=True)
class BuildBase:
    """The last build with its parts: the base of the next build's delta."""

    token: object
    parts: BuildParts
    build: Build
    service_problems: list[Problem]
    cycles: list[Problem]
    stack_names: list[Problem]


def build_reusing(
    snapshot: Snapshot, memo: ContentMemo, *, in_use: Mapping[str, str] | None = None
) -> Rebuilt:
    """The build ``build_desired`` gives, from the memo's last build and the delta to it."""
    used = dict(in_use or {})
    last = memo.take_base(LAST_BUILD)
    delta = _delta(last, snapshot, used, memo) if isinstance(last, BuildBase) else None
    if delta is None:
        base, since, changed = _from_scratch(snapshot, used, memo), None, frozenset[str]()
    else:
        base, since, changed = delta[0], last.token, delta[1]
    memo.set_base(LAST_BUILD, base)
    return Rebuilt(base.build, base.token, since, changed)


def _from_scratch(snapshot: Snapshot, in_use: dict[str, str], memo: ContentMemo) -> BuildBase:
    files = snapshot.files
    loaded, spec_keys = load_spec_files(files, spec_paths(files), memo)
    specs, spec_problems = collect_specs(loaded)
    catalog = Catalog(snapshot)
    builder = Builder(specs, catalog, in_use, catalog.check_minor_bumps())
    for env in specs.environments.values():
        builder.environment(env)
    shared = list(builder.problems)
    environments, invalid_environments = dict(builder.units), dict(builder.invalid)
    repo = repo_key(snapshot, in_use)
    keys = service_keys(specs, files, repo, in_use)
    built = _build_services(specs.services.values(), keys, builder, memo)
    owners, twice = _owners(loaded)
    parts = BuildParts(
        files=files,
        versions=snapshot.versions,
        in_use=in_use,
        loaded=loaded,
        spec_keys=spec_keys,
        spec_problems=spec_problems,
        owners=owners,
        twice=twice,
        specs=specs,
        catalog=catalog,
        shared=shared,
        environments=environments,
        invalid_environments=invalid_environments,
        repo=repo,
        keys=keys,
        binders=binders_of(specs.services.values()),
        built=built,
        position={name: i for i, name in enumerate(specs.services)},
        noted=frozenset(name for name, b in built.items() if _notable(b)),
    )
    return _assemble(parts, snapshot, None, {})


def _delta(
    last: BuildBase, snapshot: Snapshot, in_use: dict[str, str], memo: ContentMemo
) -> tuple[BuildBase, frozenset[str]] | None:
    """The next build from ``last`` when only service files changed; None otherwise.

    ``last`` is taken from the memo: its private parts are changed in place (what a
    caller may still hold, the build itself, is copied).
    """
    was = last.parts
    files = snapshot.files
    if in_use != was.in_use or snapshot.versions.versions != was.versions.versions:
        return None
    hint = snapshot.changes
    changed = hint.paths if hint is not None and hint.since is was.files else _changed(was, files)
    touched = [p for p in changed if is_spec_path(p)]
    if any(not p.startswith(_SERVICES) for p in touched):
        return None
    # A changed component folder changes what its service is built from.
    with_components = {c[0] for p in changed if (c := component_of(p)) is not None}
    present = [p for p in touched if p in files]
    fresh, fresh_keys = load_spec_files(files, present, memo)
    before = {p: _names(was.loaded.get(p, [])) for p in touched}
    after = {p: _names(fresh.get(p, [])) for p in touched}
    if _clash(was, before, after):
        return None

    loaded, spec_keys, spec_problems = was.loaded, was.spec_keys, was.spec_problems
    memo.carry_over(SPEC_FILES, [spec_keys[p] for p in touched if p in spec_keys])
    for path in touched:
        loaded.pop(path, None)
        spec_keys.pop(path, None)
        spec_problems.pop(path, None)
    for path in present:
        loaded[path] = fresh[path]
        spec_keys[path] = fresh_keys[path]
        found = [p for _spec, problems in fresh[path] for p in problems]
        if found:
            spec_problems[path] = found

    same_names = all(before[p] == after[p] for p in touched)
    services = _services(was, loaded, fresh, same_names)
    position = was.position if same_names else {n: i for i, n in enumerate(services)}
    specs = replace(was.specs, services=services)
    owners, binders = was.owners, was.binders
    for path in touched:
        for name in before[path]:
            owners.pop(name, None)
            for bound in bound_by(was.specs.services[name]):
                binders[bound] = binders.get(bound, frozenset()) - {name}
        for name in after[path]:
            owners[name] = path
            for bound in bound_by(services[name]):
                binders[bound] = binders.get(bound, frozenset()) | {name}
    affected = _with_binders(
        {n for p in touched for n in (*before[p], *after[p])} | with_components, binders
    )

    keys, built = was.keys, was.built
    memo.carry_over(BUILT_SERVICES, [keys.pop(n) for n in affected if n in keys])
    named = sorted((n for n in affected if n in services), key=position.__getitem__)
    keys.update(service_keys(specs, files, was.repo, in_use, names=named, known=keys))
    catalog = replace(was.catalog, snapshot=snapshot)
    builder = Builder(specs, catalog, in_use, [], dict(was.environments))
    rebuilt = _build_services([services[n] for n in named], keys, builder, memo)
    old = {n: built[n] for n in affected if n in built}
    if same_names:
        built.update(rebuilt)  # the same names: each keeps its place in services order
    else:
        built = {n: rebuilt[n] if n in rebuilt else built[n] for n in services}
    parts = replace(
        was,
        files=files,
        specs=specs,
        catalog=catalog,
        built=built,
        position=position,
        noted=(was.noted - affected) | {n for n, b in rebuilt.items() if _notable(b)},
    )
    units = frozenset(u.id for b in (*old.values(), *rebuilt.values()) for u in b.units)
    return _assemble(parts, snapshot, last if same_names else None, old), units


def _assemble(
    parts: BuildParts, snapshot: Snapshot, last: BuildBase | None, old: Mapping[str, Built]
) -> BuildBase:
    """The build of ``parts``, keeping what ``last`` put together where nothing changed.

    ``last`` (None: put everything together) has the same services in the same order;
    only those in ``old`` (with what building them added before) were built again.
    """
    built = parts.built
    pairs = [(was, built[n]) for n, was in old.items()] if last is not None else []
    same_ids = last is not None and all(_ids(was) == _ids(now) for was, now in pairs)
    if last is not None and same_ids:
        units = dict(last.build.state.units)
        units.update((u.id, u) for _was, now in pairs for u in now.units)
    else:
        units = dict(parts.environments)
        units.update((u.id, u) for b in built.values() for u in b.units)
    if last is not None and all(_same_notes(was, now) for was, now in pairs):
        service_problems = last.service_problems
        denied, invalid = last.build.state.denied, last.build.state.invalid
    else:
        service_problems, denied, invalid = _notes(parts)
    replaced = (
        [pair for was, now in pairs for pair in zip(was.units, now.units, strict=True)]
        if same_ids
        else []
    )
    if last is not None and same_ids and not last.cycles and _same_edges(replaced):
        order, cycles = last.build.state.order, last.cycles
    else:
        found, cycles = order_units(units)
        order = tuple(found)
    if last is not None and same_ids and not last.stack_names and _same_targets(replaced):
        stack_names = last.stack_names
    else:
        stack_names = stack_name_problems(units)
    problems = [p for _path, found in sorted(parts.spec_problems.items()) for p in found]
    problems += parts.shared + service_problems + cycles + stack_names
    errors = any(p.severity == "error" for p in problems)
    state = DesiredState(
        snapshot.revision,
        units,
        order,
        denied,
        incomplete=errors or not parts.specs.environments,
        invalid=invalid,
    )
    unit_keys = _unit_keys(parts, last, old)
    build = Build(state, parts.specs, parts.catalog, problems, unit_keys)
    return BuildBase(object(), parts, build, service_problems, cycles, stack_names)


def _build_services(
    services: Iterable[Service], keys: Mapping[str, str], builder: Builder, memo: ContentMemo
) -> dict[str, Built]:
    """What building each service adds: from the memo under its key, or built now."""
    services = list(services)
    wanted = [keys[s.name] for s in services if s.name in keys]
    known = memo.fetch(BUILT_SERVICES, wanted, built_of)
    bundles: dict[str, Bundle | None] | None = None
    out: dict[str, Built] = {}
    for service in services:
        key = keys.get(service.name)
        built = None
        if key is not None and key in known:
            if bundles is None and not isinstance(known[key], Built):
                bundles = _bundles(builder.catalog)
            built = rehydrate(known[key], bundles or {})
        if built is None:
            built = builder.service(service)
            if key is not None:
                memo.put(BUILT_SERVICES, key, built, built_json)
        elif key is not None:
            memo.remember(BUILT_SERVICES, key, built)
        out[service.name] = built
    return out


def _bundles(catalog: Catalog) -> dict[str, Bundle | None]:
    """Every bundle by tree id, the snapshot's components' too."""
    index = catalog.index
    found = {
        v.tree_id: catalog.bundle(v)
        for name in index.names()
        for major in index.majors(name)
        for v in index.of(name, major)
    }
    for service, name in catalog.component_folders():
        component = catalog.component(service, name)
        if not isinstance(component, list):
            v = component[0]
            found[bundle_key(v.name, v.major, v.minor, v.commit, v.tree_id, v.kind)] = component[1]
    return found


def _changed(was: BuildParts, after: Mapping[str, bytes]) -> list[str]:
    """Paths added, removed or changed (the same bytes object is the same content)."""
    before = was.files
    changed = [p for p, data in after.items() if before.get(p) is not data]
    changed = [p for p in changed if before.get(p) != after[p]]
    changed += before.keys() - after.keys()
    return changed


def _names(loaded: Loaded) -> list[str]:
    return [spec.name for spec, _problems in loaded if spec is not None]


def _clash(
    last: BuildParts, before: Mapping[str, list[str]], after: Mapping[str, list[str]]
) -> bool:
    """Does a changed file define, or stop defining, a name another file defines too?"""
    for path, names in before.items():
        if any(n in last.twice or last.owners.get(n) != path for n in names):
            return True
    seen: set[str] = set()
    for names in after.values():
        for name in names:
            owner = last.owners.get(name)
            if name in seen or name in last.twice or (owner is not None and owner not in after):
                return True
            seen.add(name)
    return False


def _services(
    last: BuildParts, loaded: Mapping[str, Loaded], fresh: Mapping[str, Loaded], same_names: bool
) -> dict[str, Service]:
    """The services, in load order (files sorted, then documents)."""
    if same_names:
        services = dict(last.specs.services)
        services.update((s.name, s) for found in fresh.values() for s, _ in found if s is not None)
        return services
    services = {}
    for path in sorted(p for p in loaded if p.startswith(_SERVICES)):
        for spec, _problems in loaded[path]:
            if spec is not None and spec.name not in services:
                services[spec.name] = spec
    return services


def _with_binders(names: set[str], binders: Mapping[str, frozenset[str]]) -> set[str]:
    """``names`` and every service binding one of them, directly or through others."""
    found: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name not in found:
            found.add(name)
            todo.extend(binders.get(name, ()))
    return found


def _owners(loaded: Mapping[str, Loaded]) -> tuple[dict[str, str], frozenset[str]]:
    owners: dict[str, str] = {}
    twice: set[str] = set()
    for path, found in loaded.items():
        if path.startswith(_SERVICES):
            for name in _names(found):
                if name in owners:
                    twice.add(name)
                else:
                    owners[name] = path
    return owners, frozenset(twice)


def _notable(built: Built) -> bool:
    return bool(built.problems or built.denied or built.invalid)


def _notes(parts: BuildParts) -> tuple[list[Problem], dict[str, str], dict[str, str]]:
    """Problems, denials and invalid units of every service, in services order."""
    problems: list[Problem] = []
    denied: dict[str, str] = {}
    invalid = dict(parts.invalid_environments)
    for name in sorted(parts.noted, key=parts.position.__getitem__):
        built = parts.built[name]
        problems += built.problems
        for unit_id, reason in built.denied:
            denied.setdefault(unit_id, reason)
        invalid.update(built.invalid)
    return problems, denied, invalid


def _same_notes(old: Built, new: Built) -> bool:
    return old.problems == new.problems and old.denied == new.denied and old.invalid == new.invalid


def _ids(built: Built) -> list[str]:
    return [u.id for u in built.units]


def _same_edges(replaced: Sequence[tuple[Unit, Unit]]) -> bool:
    return all(old.depends_on == new.depends_on for old, new in replaced)


def _same_targets(replaced: Sequence[tuple[Unit, Unit]]) -> bool:
    return all(
        (old.target.id, old.target.region) == (new.target.id, new.target.region)
        for old, new in replaced
    )


def _unit_keys(
    parts: BuildParts, last: BuildBase | None, old: Mapping[str, Built]
) -> dict[str, str]:
    """Unit id → the key of what it is built from: its service's (environments: the repo's)."""
    names: Iterable[str]
    if last is None:
        unit_keys = {u: parts.repo for u in parts.environments}
        names = parts.built
    else:
        unit_keys = dict(last.build.unit_keys)
        for was in old.values():
            for unit in was.units:
                unit_keys.pop(unit.id, None)
        names = old
    for name in names:
        key = parts.keys.get(name)
        if key is not None:
            unit_keys.update((u.id, key) for u in parts.built[name].units)
    return unit_keys
