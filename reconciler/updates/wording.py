"""The title and body of an update pull request, composed above the forge clients."""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.checks.blast import Touched
from reconciler.checks.comment import blast_lines
from reconciler.updates.outdated import Outdated

EFFECT_WORDS = {"moves": "moves when this is merged", "outdated": "stays outdated"}


def title(outdated: Outdated) -> str:
    """``Update my-webapp to lb-fargate-svc 1.2``, as Renovate and Dependabot word it."""
    return f"Update {outdated.service} to {outdated.template} {', '.join(outdated.to_versions)}"


def body(outdated: Outdated, touched: Sequence[Touched], base: str) -> str:
    versions = ", ".join(outdated.to_versions)
    lines = [
        f"### Goldenpath: update `{outdated.service}` to `{outdated.template}` {versions}",
        "",
        f"`{outdated.service}` takes minor versions by hand (`spec.updates.minor: manual`), "
        f"and {len(outdated.moves)} of its units run an older minor than their major offers. "
        f"This pull request moves them to the recommended version. Only the version fields "
        f"of `{outdated.file}` change; comments and layout are kept.",
    ]
    lines += ["", "Fields: " + ", ".join(f"`{e.field}` → `{e.to_version}`" for e in outdated.edits)]
    lines += blast_lines(touched, "#### Blast radius", EFFECT_WORDS)
    team = f"team `{outdated.team}`" if outdated.team else "the service's owners"
    lines += [
        "",
        f"Review: {team}. Merging into `{base}` deploys the move. Closing this pull request "
        f"declines {versions}: Goldenpath offers the next newer version only. Goldenpath "
        "keeps this branch up to date and force-pushes it; commits of your own on it stop "
        "those updates.",
    ]
    return "\n".join(lines) + "\n"
