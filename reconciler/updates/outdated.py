"""Which services on manual minor updates run an older minor than their major offers.

Pure: it reads a build of the tracked head (its units carry the version each one runs,
as recorded) and says, per service, which units would move to which version, and which
version fields of the service's spec must change for that. A unit moves to the newest
usable minor of the major it runs: a major moves only by a person's change (its inputs
may differ), never by an update pull request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from reconciler.desired.build import Build
from reconciler.desired.units import Unit, instance_id
from reconciler.specs.model import Service
from reconciler.updates.outcome import version_key
from reconciler.updates.rewrite import VersionEdit

SERVICE_TEMPLATE = ("spec", "template", "version")


@dataclass(frozen=True)
class Outdated:
    """A service whose units could move to a newer minor, and the spec edits that move them."""

    service: str
    team: str | None
    template: str
    file: str  # the spec file, repo-relative
    moves: Mapping[str, tuple[str, str]]  # unit id → (version it runs, version offered)
    edits: tuple[VersionEdit, ...]

    @property
    def targets(self) -> dict[str, str]:
        """Unit id → the version offered."""
        return {unit: to for unit, (_, to) in self.moves.items()}

    @property
    def to_versions(self) -> list[str]:
        return sorted({to for _, to in self.moves.values()}, key=version_key)


def outdated_services(build: Build) -> list[Outdated]:
    """The services on manual updates with at least one unit behind its major, by name."""
    by_service: dict[str, list[Unit]] = {}
    for unit in build.state.units.values():
        if unit.kind in ("service", "pipeline") and unit.service:
            by_service.setdefault(unit.service, []).append(unit)
    found = []
    for name in sorted(by_service):
        service = build.specs.services.get(name)
        if service is None or service.updates != "manual":
            continue
        outdated = _outdated(build, service, by_service[name])
        if outdated is not None:
            found.append(outdated)
    return found


def _outdated(build: Build, service: Service, units: list[Unit]) -> Outdated | None:
    moves: dict[str, tuple[str, str]] = {}
    fields: dict[tuple[str | int, ...], str] = {}
    own = {
        instance_id(service.name, i.name): ("spec", "instances", n, "version")
        for n, i in enumerate(service.instances)
        if i.template_version is not None
    }
    for unit in sorted(units, key=lambda u: u.id):
        usable = build.catalog.usable(unit.template, unit.version.major)
        if not usable or version_key(usable[-1].version) <= version_key(unit.version.version):
            continue
        target = usable[-1].version
        moves[unit.id] = (unit.version.version, target)
        path = own.get(unit.id, SERVICE_TEMPLATE)
        if version_key(target) > version_key(fields.get(path, "0")):
            fields[path] = target
    if not moves:
        return None
    return Outdated(
        service=service.name,
        team=service.team,
        template=service.template.name,
        file=service.origin.file,
        moves=moves,
        edits=tuple(VersionEdit(path, to) for path, to in sorted(fields.items(), key=str)),
    )

