"""Who may change what in a pull request: the author against teams.yaml.

Authorisation always reads teams.yaml as it is on the base branch: a pull request that
adds its author to the admins must not thereby allow itself. Services are checked as
owned on the base (changing an existing service) and on the head (the team a new or
moved service names): the author must belong to both owning teams. A service's component
folders (``services/<svc>/components/``) are the service's: its team may change them.
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.errors import Problem
from reconciler.specs.model import Specs, Teams
from reconciler.templates.component import component_of

# Paths only platform admins may change (policies/: the guardrails and their data; their
# exceptions live in goldenpath.yaml, an admin file too).
ADMIN_PATHS = ("templates/", "environments/", "policies/")
ADMIN_FILES = ("teams.yaml", "goldenpath.yaml")


def check_access(author: str, changed: Sequence[str], base: Specs, head: Specs) -> list[Problem]:
    """A problem for every changed file the author may not change."""
    teams = base.teams
    if teams is None:
        return []  # no teams.yaml on the base branch: access is not managed
    if teams.is_admin(author):
        return []
    problems = []
    member_of = ", ".join(t.name for t in teams.of_member(author)) or "no team"
    for path in changed:
        if path in ADMIN_FILES or path.startswith(ADMIN_PATHS):
            problems.append(
                Problem(
                    path,
                    None,
                    "",
                    f"{author} ({member_of}) may not change {path}: only platform admins may",
                )
            )
        elif path.startswith("services/"):
            problems += _service(author, path, base, head, teams, member_of)
    return problems


def _service(
    author: str, path: str, base: Specs, head: Specs, teams: Teams, member_of: str
) -> list[Problem]:
    # A component folder (services/<svc>/components/…) belongs to the team of <svc>.
    component = component_of(path)
    owners = [
        service.team
        for specs in (base, head)
        for service in specs.services.values()
        if service.team
        and (service.origin.file == path or (component and component[0] == service.name))
    ]
    problems = []
    for team in dict.fromkeys(owners):
        found = teams.teams.get(team)
        if found is None or author not in found.members:
            problems.append(
                Problem(
                    path,
                    None,
                    "metadata.team",
                    f"{author} ({member_of}) is not a member of team {team!r}, which owns {path}",
                )
            )
    return problems
