"""The implementation swap of the example: private-web-svc 1.1 runs on App Runner.

``proposed/private-web-svc-on-app-runner/`` holds the files of that pull request, laid out
as they go into the platform repo. Merging it is one commit that changes only
``templates/private-web-svc/v1/``: the next minor version.
"""

from __future__ import annotations

import shutil

from tests.conftest import EXAMPLE_REPO
from tests.support.platform_repo import PlatformRepo

PROPOSAL = EXAMPLE_REPO / "proposed" / "private-web-svc-on-app-runner"
SWAP_MESSAGE = "private-web-svc 1.1: App Runner instead of ECS/Fargate"


def merge_swap(repo: PlatformRepo) -> str:
    """Commit the App Runner version onto ``repo``; the commit id."""
    for source in PROPOSAL.rglob("*"):
        relative = source.relative_to(PROPOSAL)
        if source.is_file() and relative.parts[0] == "templates":
            target = repo.root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
    return repo.commit(SWAP_MESSAGE)


def changed_paths(repo: PlatformRepo, commit: str) -> list[str]:
    return repo.git("diff", "--name-only", f"{commit}~1", commit).splitlines()
