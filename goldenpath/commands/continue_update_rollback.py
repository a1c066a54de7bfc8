"""``goldenpath continue-update-rollback UNIT [--skip ID]...``: finish a rollback that failed."""

from __future__ import annotations

import argparse
from typing import Any

from goldenpath.interventions import acting, add_actor_argument, report


def arguments(parser: argparse.ArgumentParser) -> None:
    add_actor_argument(parser)
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        metavar="LOGICAL_ID",
        help="a resource whose rollback failed, to leave as it is (ResourcesToSkip); repeatable",
    )


def run(args: argparse.Namespace) -> int:
    from goldenpath.cloud import open_cloud
    from reconciler.actions import StackInterventions
    from reconciler.state import StateStore

    def work(actor: Any) -> int:
        with StateStore.open(args.state) as store, open_cloud(args) as cloud:
            actions = StackInterventions(store, cloud)
            actions.recover()  # an earlier rollback whose waiting process died, first
            started = actions.continue_rollback(args.unit, actor, args.skip)
            settled = actions.settle(started)
        ended = settled.deployment
        lines = [
            f"rollback of {started.stack.ref.name} continued by {actor.label} "
            f"(skipping {', '.join(started.skipped) or 'nothing'})",
            f"{started.stack.ref.name} is {settled.stack_status}; deployment #{ended.id} "
            f"is {ended.status}: {ended.message}",
        ]
        document = {
            "unit": args.unit,
            "skipped": list(started.skipped),
            "stack_status": settled.stack_status,
            "deployment": ended.to_json(),
        }
        report(args, document, lines)
        return 0 if settled.rolled_back else 1

    return acting(args, work)
