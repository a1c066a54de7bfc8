"""What a build may reuse from an earlier one: content keys of services, and units as JSON.

A service's units and problems are a function of a few things only: its own spec file,
the repo-wide inputs (template versions and the bundles behind them, environments,
``goldenpath.yaml``, ``teams.yaml``), the versions its units run now (plan), and the
services it binds. The *service key* hashes exactly those, the bound services through
their own keys (a Merkle tree over bindings), so a change anywhere a service reads
changes its key, and a change elsewhere does not. Units are keyed by their service's
key (environments by the repo-wide key), so later steps (render, lint) reuse per unit.

A service on a binding cycle gets no key: it is built afresh every time (and reported).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.desired.units import InstanceRef, Unit, instance_id, pipeline_id
from reconciler.errors import Problem
from reconciler.source.snapshot import Snapshot
from reconciler.specs.codec import (
    account_json,
    account_of,
    origin_json,
    origin_of,
    problem_json,
    problem_of,
)
from reconciler.specs.loader import FOLDER_KINDS, is_spec_path
from reconciler.specs.memo import content_key
from reconciler.specs.model import Service, Specs
from reconciler.templates.component import component_files
from reconciler.templates.model import Bundle, TemplateVersion

# Memo namespace: a service's units, problems and denials, by its service key.
BUILT_SERVICES = "built-services"
_SERVICES_FOLDER = next(k for k, v in FOLDER_KINDS.items() if v == "Service")


@dataclass
class Built:
    """What building one service added, in order: units, problems, policy denials, and
    the units left out because their own spec has errors."""

    units: list[Unit] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    denied: list[tuple[str, str]] = field(default_factory=list)
    invalid: list[tuple[str, str]] = field(default_factory=list)


def repo_key(snapshot: Snapshot, in_use: Mapping[str, str]) -> str:
    """Everything every unit reads besides its own service: versions, shared specs."""
    index = snapshot.versions
    versions = json.dumps(
        [
            [[v.name, v.major, v.minor, v.commit, v.tree_id, v.kind] for v in found]
            for _key, found in sorted(index.versions.items())
        ]
    )
    parts: list[str | bytes] = ["repo", versions]
    for path in sorted(snapshot.files):
        if is_spec_path(path) and not path.startswith(_SERVICES_FOLDER + "/"):
            parts += [path, snapshot.files[path]]
    environments = sorted((u, v) for u, v in in_use.items() if u.startswith("environment/"))
    parts.append(json.dumps(environments))
    return content_key(*parts)


def service_keys(
    specs: Specs,
    files: Mapping[str, bytes],
    repo: str,
    in_use: Mapping[str, str],
    *,
    names: Iterable[str] | None = None,
    known: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Service name → its key; services on a binding cycle (and above one) are absent.

    Only ``names`` (default: every service) are keyed; ``known`` holds the keys of services
    whose inputs did not change, read where the named ones bind them.
    """
    keys: dict[str, str | None] = {}
    kept = known or {}
    visiting: set[str] = set()
    by_service: dict[str, list[str]] | None = None

    def components() -> dict[str, list[str]]:
        nonlocal by_service
        if by_service is None:
            by_service = {}
            for (owner, _name), paths in component_files(files).items():
                by_service.setdefault(owner, []).extend(paths)
        return by_service

    def key_of(name: str) -> str | None:
        if name in keys:
            return keys[name]
        if name in kept:
            return kept[name]
        service = specs.services.get(name)
        if service is None:
            return f"missing:{name}"
        if name in visiting:
            return None  # a cycle: nobody on it is reused
        visiting.add(name)
        below = [key_of(b) for b in sorted(bound_by(service))]
        visiting.discard(name)
        own = files.get(service.origin.file)
        if any(k is None for k in below) or own is None:
            keys[name] = None
            return None
        used = [(u, in_use[u]) for u in _unit_ids(service) if u in in_use]
        # The service's component folders are part of what it is built from.
        parts: list[str | bytes] = []
        for path in sorted(components().get(name, ())):
            parts += [path, files[path]]
        keys[name] = content_key(
            repo, service.origin.file, own, json.dumps(used), *[str(k) for k in below], *parts
        )
        return keys[name]

    for name in specs.services if names is None else names:
        key_of(name)
    return {name: key for name, key in keys.items() if key is not None}


def bound_by(service: Service) -> set[str]:
    """The services that ``service``'s instances bind."""
    return {b.service for i in service.instances for b in i.bindings}


def binders_of(services: Iterable[Service]) -> dict[str, frozenset[str]]:
    """Service name → the services that bind it (the name need not exist)."""
    found: dict[str, set[str]] = {}
    for service in services:
        for bound in bound_by(service):
            found.setdefault(bound, set()).add(service.name)
    return {name: frozenset(by) for name, by in found.items()}


def _unit_ids(service: Service) -> list[str]:
    return [instance_id(service.name, i.name) for i in service.instances] + [
        pipeline_id(service.name)
    ]


def built_json(built: Built) -> Any:
    return [
        [_unit_json(u) for u in built.units],
        [problem_json(p) for p in built.problems],
        [list(d) for d in built.denied],
        [list(i) for i in built.invalid],
    ]


def built_of(data: Any) -> Any:
    """The JSON form, kept as it is until ``rehydrate`` gives its units their bundles."""
    return data


def rehydrate(data: Any, bundles: Mapping[str, Bundle | None]) -> Built | None:
    """A stored ``Built`` with each unit's bundle (by tree id); None if one is missing."""
    if isinstance(data, Built):
        return data
    units = []
    for item in data[0]:
        bundle = bundles.get(bundle_key(*item[5][:6]))
        if bundle is None:
            return None
        units.append(_unit_of(item, bundle))
    return Built(
        units,
        [problem_of(p) for p in data[1]],
        [(d[0], d[1]) for d in data[2]],
        [(i[0], i[1]) for i in data[3]],
    )


def bundle_key(name: str, _major: int, _minor: int, _commit: str, tree: str, kind: str) -> str:
    """How ``rehydrate`` finds a unit's bundle: by tree id; a component by its folder too,
    since two services may hold components of the same content."""
    return f"{tree}@{name}" if kind == "component" else tree


def _unit_json(u: Unit) -> Any:
    v = u.version
    return [
        u.id,
        u.kind,
        account_json(u.target),
        u.stack_name,
        u.template,
        [v.name, v.major, v.minor, v.commit, v.tree_id, v.kind],
        dict(u.inputs),
        origin_json(u.origin),
        list(u.depends_on),
        u.environment,
        u.service,
        u.instance,
        u.team,
        dict(u.bindings),
        [[i.unit_id, i.name, i.environment] for i in u.instances],
        dict(u.repository),
        u.holds_data,
        u.pinned,
        u.updates,
        origin_json(u.stack_name_origin) if u.stack_name_origin else None,
        dict(u.components),
        u.component,
        u.service_role,
    ]


def _unit_of(d: Any, bundle: Bundle) -> Unit:
    v = d[5]
    return Unit(
        id=d[0],
        kind=d[1],
        target=account_of(d[2]),
        stack_name=d[3],
        template=d[4],
        version=TemplateVersion(v[0], v[1], v[2], v[3], v[4], v[5]),
        bundle=bundle,
        inputs=d[6],
        origin=origin_of(d[7]),
        depends_on=tuple(d[8]),
        environment=d[9],
        service=d[10],
        instance=d[11],
        team=d[12],
        bindings=d[13],
        instances=tuple(InstanceRef(i[0], i[1], i[2]) for i in d[14]),
        repository=d[15],
        holds_data=d[16],
        pinned=d[17],
        updates=d[18],
        stack_name_origin=origin_of(d[19]) if d[19] else None,
        components=d[20],
        component=d[21],
        service_role=d[22],
    )
