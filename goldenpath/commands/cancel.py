"""``goldenpath cancel UNIT``: cancel the unit's stack update in progress, wait for the rollback."""

from __future__ import annotations

import argparse
from typing import Any

from goldenpath.interventions import acting, add_actor_argument, report


def arguments(parser: argparse.ArgumentParser) -> None:
    add_actor_argument(parser)
    parser.add_argument(
        "--no-wait", action="store_true", help="return once CloudFormation accepted the cancel"
    )


def run(args: argparse.Namespace) -> int:
    from goldenpath.cloud import open_cloud
    from reconciler.actions import StackInterventions
    from reconciler.state import StateStore

    def work(actor: Any) -> int:
        with StateStore.open(args.state) as store, open_cloud(args) as cloud:
            actions = StackInterventions(store, cloud)
            started = actions.cancel(args.unit, actor)
            lines = [
                f"cancel of {args.unit} sent by {actor.label}: {started.stack.ref.name} was "
                f"UPDATE_IN_PROGRESS; deployment #{started.deployment.id} is CANCELLING"
            ]
            if args.no_wait:
                document = {"unit": args.unit, "deployment": started.deployment.to_json()}
                report(args, document, lines)
                return 0
            settled = actions.settle(started)
        ended = settled.deployment
        lines.append(
            f"{started.stack.ref.name} is {settled.stack_status}; deployment #{ended.id} "
            f"is {ended.status}: {ended.message}"
        )
        document = {
            "unit": args.unit,
            "stack_status": settled.stack_status,
            "deployment": ended.to_json(),
        }
        report(args, document, lines)
        return 0 if settled.rolled_back else 1

    return acting(args, work)
