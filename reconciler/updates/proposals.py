"""An update pull request as it should be: the rewritten spec file, title and body.

Computed on the reconciler's thread from a build of the tracked head: rewriting the spec
(``rewrite``), building the head with it to render the blast radius of the move, and
wording the pull request. Nothing here talks to git or a forge.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from reconciler.checks.blast import update_radius
from reconciler.desired.build import Build, build_desired
from reconciler.plan.model import Recorded
from reconciler.render import Renderer
from reconciler.source.snapshot import Snapshot
from reconciler.updates import wording
from reconciler.updates.outdated import Outdated
from reconciler.updates.rewrite import RewriteRefused, rewrite_versions


@dataclass(frozen=True)
class Proposal:
    """One service's update pull request, ready to publish."""

    outdated: Outdated
    path: str  # the spec file, repo-relative
    content: bytes  # the spec file with its versions moved
    title: str
    body: str
    base: str  # the tracked branch
    head: str  # the commit the branch is made on
    members: tuple[str, ...]  # the team's members (reviewers where the forge has no teams)

    @property
    def service(self) -> str:
        return self.outdated.service

    @property
    def digest(self) -> str:
        """Of what the pull request shows: the file, the title and the body."""
        text = self.content + self.title.encode() + b"\0" + self.body.encode()
        return hashlib.sha256(text).hexdigest()


def propose(
    outdated: Outdated,
    head: Snapshot,
    build: Build,
    recorded: Mapping[str, Recorded],
    renderer: Renderer,
    base: str,
) -> Proposal:
    """The pull request that moves ``outdated``; ``RewriteRefused`` when its spec file
    cannot be rewritten."""
    text = head.files.get(outdated.file)
    if text is None:
        raise RewriteRefused(outdated.file, "", "is not in the tracked head")
    content = rewrite_versions(outdated.file, text, outdated.service, outdated.edits)
    moved = Snapshot(
        f"{head.revision}+update-{outdated.service}",
        {**_needed_files(head.files, build, outdated.service), outdated.file: content},
        head.versions,
        head.bundles,
    )
    in_use = {uid: r.version for uid, r in recorded.items()}
    after = build_desired(moved, in_use=in_use)
    missed = [u for u, to in outdated.targets.items() if _version(after, u) != to]
    if missed:
        raise RewriteRefused(
            outdated.file,
            ", ".join(e.field for e in outdated.edits),
            f"after the rewrite {', '.join(missed)} would not run the offered version "
            f"({_why(after)})",
        )
    touched = update_radius(build, after, list(outdated.moves), recorded, renderer)
    teams = build.specs.teams
    team = teams.teams.get(outdated.team) if teams and outdated.team else None
    return Proposal(
        outdated=outdated,
        path=outdated.file,
        content=content,
        title=wording.title(outdated),
        body=wording.body(outdated, touched, base),
        base=base,
        head=head.revision,
        members=team.members if team else (),
    )


def _needed_files(files: Mapping[str, bytes], build: Build, service: str) -> dict[str, bytes]:
    """The files the service's units are built from: everything but other services'
    specs, except those it binds. A build of them costs one service, not the repo."""
    spec = build.specs.services[service]
    bound = {b.service for i in spec.instances for b in i.bindings}
    wanted = {spec.origin.file} | {
        build.specs.services[name].origin.file for name in bound if name in build.specs.services
    }
    own = f"services/{service}/"
    return {
        path: data
        for path, data in files.items()
        if not path.startswith("services/") or path in wanted or path.startswith(own)
    }


def _version(build: Build, unit_id: str) -> str | None:
    unit = build.state.units.get(unit_id)
    return unit.version.version if unit else None


def _why(build: Build) -> str:
    errors = build.errors
    return str(errors[0]) if errors else "the build chose another version"
