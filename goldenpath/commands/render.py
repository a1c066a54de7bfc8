"""``goldenpath render REPO UNIT``: the rendered template of one unit.

Outputs of units that are not deployed render as visible ``known-after-apply`` values;
recorded outputs are used when the state store has them. A Terraform unit renders as the
files of its folder in the provisioning repository, each under a ``==> path <==`` line;
its deployment id, new for each deployment, shows as ``known-after-apply:deployment``.
"""

from __future__ import annotations

import argparse
from typing import Any


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("repo", help="the platform repo")
    parser.add_argument("unit", help="a unit id, e.g. environment/test or service/web/test")


def run(args: argparse.Namespace) -> int:
    from goldenpath.output import emit_json, problem_lines, say
    from goldenpath.workspace import state_or_none, working_snapshot
    from reconciler.desired.build import build_desired
    from reconciler.desired.rendering import pending_source, render_unit
    from reconciler.errors import RenderError, SourceError
    from reconciler.render import Renderer

    with state_or_none(args.state) as store:
        try:
            snapshot = working_snapshot(args.repo, store)
        except SourceError as exc:
            say(f"error: {exc}")
            return 1
        recorded = {u.id: dict(u.outputs) for u in store.units()} if store is not None else {}
        in_use = {u.id: u.version for u in store.units() if u.version} if store else {}
    build = build_desired(snapshot, in_use=in_use)
    unit = build.state.units.get(args.unit)
    if unit is None:
        for line in problem_lines(build.errors):
            say(line)
        known = ", ".join(build.state.order) or "none"
        say(f"error: no unit {args.unit!r}; units: {known}")
        return 1
    try:
        rendered = render_unit(unit, build.state, Renderer(), pending_source(recorded))
    except RenderError as exc:
        say(f"error: {exc}")
        return 1
    if rendered.terraform is not None:
        return _terraform(args, unit, rendered)
    if args.output == "json":
        emit_json(
            {
                "unit": unit.id,
                "template_version": f"{unit.template}:{unit.version.version}",
                "body": rendered.body,
                "known_after_apply": list(rendered.pending),
            }
        )
    else:
        say(rendered.body.rstrip("\n"))
    return 0


# What the deployment id of a render shows: each deployment gets a new one.
RENDERED_DEPLOYMENT = "known-after-apply:deployment"


def _terraform(args: argparse.Namespace, unit: Any, rendered: Any) -> int:
    from goldenpath.output import emit_json, say

    files = rendered.terraform.with_deployment(RENDERED_DEPLOYMENT)
    texts = {path: data.decode("utf-8", errors="replace") for path, data in sorted(files.items())}
    if args.output == "json":
        emit_json(
            {
                "unit": unit.id,
                "template_version": f"{unit.template}:{unit.version.version}",
                "platform": "terraform",
                "body": rendered.body,
                "files": texts,
                "fingerprint": rendered.fingerprint() if not rendered.pending else None,
                "known_after_apply": list(rendered.pending),
            }
        )
        return 0
    for path, text in texts.items():
        say(f"==> {path} <==")
        say(text.rstrip("\n"))
        say("")
    return 0
