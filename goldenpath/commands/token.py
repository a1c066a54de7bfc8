"""``goldenpath token create|list|revoke``: the API tokens of teams and admins.

``create`` prints the new token once; only its hash is stored (``reconciler.actions.tokens``
explains the scheme). ``list`` shows ids, scopes and names, never a token or a hash.
``revoke ID`` refuses the token from then on; it stays listed.
"""

from __future__ import annotations

import argparse

from goldenpath.output import emit_json, say, table


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("what", choices=["create", "list", "revoke"], help="what to do")
    parser.add_argument("id", nargs="?", help="revoke: the token's id (see `token list`)")
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument("--team", help="create: a token that acts for this team's services")
    scope.add_argument("--admin", action="store_true", help="create: a token for the admins")
    parser.add_argument("--name", help="create: what to call it (default: the team, or admin)")
    parser.add_argument(
        "--as", dest="actor", default=None, help="who creates it, as recorded (default: $USER)"
    )


def run(args: argparse.Namespace) -> int:
    from reconciler.errors import GoldenpathError
    from reconciler.state import StateStore

    try:
        with StateStore.open(args.state) as store:
            if args.what == "create":
                return _create(args, store)
            if args.what == "revoke":
                return _revoke(args, store)
            return _list(args, store)
    except GoldenpathError as exc:
        say(f"error: {exc}")
        return 1


def _create(args: argparse.Namespace, store: object) -> int:
    from reconciler.actions import create_token, operator

    if not args.team and not args.admin:
        say("error: token create needs --team TEAM or --admin (whom the token acts for)")
        return 1
    team = None if args.admin else args.team
    name = args.name or (team or "admin")
    issued, stored = create_token(
        store,  # type: ignore[arg-type]
        team=team,
        name=name,
        created_by=operator(args.actor).name,
    )
    if args.output == "json":
        emit_json({**stored.to_json(), "token": issued.text})
        return 0
    say(issued.text)
    say(
        f"token {stored.id} ({stored.scope}, {stored.name}): shown once, only its hash is "
        "kept; send it as 'Authorization: Bearer <token>'"
    )
    return 0


def _revoke(args: argparse.Namespace, store: object) -> int:
    if not args.id:
        say("error: token revoke needs the token's id (see `goldenpath token list`)")
        return 1
    revoked = store.revoke_token(args.id)  # type: ignore[attr-defined]
    if revoked is None:
        say(f"error: no token has the id {args.id!r} (see `goldenpath token list`)")
        return 1
    if args.output == "json":
        emit_json(revoked.to_json())
    else:
        say(f"token {revoked.id} ({revoked.scope}, {revoked.name}) revoked at {revoked.revoked_at}")
    return 0


def _list(args: argparse.Namespace, store: object) -> int:
    found = store.tokens()  # type: ignore[attr-defined]
    if args.output == "json":
        emit_json({"tokens": [t.to_json() for t in found]})
        return 0
    say(
        table(
            ["ID", "SCOPE", "NAME", "CREATED", "BY", "REVOKED"],
            [
                [t.id, t.scope, t.name, t.created_at.isoformat(), t.created_by, t.revoked_at or ""]
                for t in found
            ],
        )
    )
    return 0
