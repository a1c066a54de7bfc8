"""The role that reaches each account, remembered after the spec that named it is gone.

Roles come from the specs: each environment's ``account.roleArn``, and the pipeline
account of ``goldenpath.yaml``. A stack outlives its spec, though: pruning an instance
whose environment was removed in the same commit, or resuming an operation in such an
account, needs a role no spec names any more. Acting with the ambient credentials
instead would look for the stack in the wrong account, find nothing, and forget a stack
that still exists (or, on real AWS, touch a same-named stack elsewhere). So every apply
remembers the roles it saw in the state store, and a stack in an account whose role was
never seen is not touched at all: the plan says why. Only an apply remembers roles: a plan
may be of any ref, and the roles of a feature branch must not act for the tracked one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from reconciler.plan.model import Plan
from reconciler.specs.model import Account, Specs
from reconciler.state import StateStore

ROLES = "account-roles"  # cache namespace: account id → {"role_arn": ARN or null}


def spec_roles(specs: Specs) -> dict[str, str | None]:
    """The role of every account the specs name (None: the ambient credentials)."""
    roles: dict[str, str | None] = {
        env.account.id: env.account.role_arn for env in specs.environments.values()
    }
    if specs.platform.pipeline_account is not None:
        account = specs.platform.pipeline_account
        roles[account.id] = account.role_arn
    return roles


def known_roles(
    store: StateStore, specs: Specs, accounts: Iterable[str], *, record: bool = True
) -> dict[str, str | None]:
    """Roles of the specs, plus remembered ones for ``accounts`` the specs no longer name.

    With ``record`` (an apply), remembers what the specs say, writing only what changed,
    so a no-op apply stays cheap. A plan does not: the roles of a ref it was only asked
    about must not be used to act. An account absent from the result has no known role.
    """
    current = spec_roles(specs)
    wanted = set(current) | set(accounts)
    stored = store.cache_get_many(ROLES, sorted(wanted))
    changed = {
        account: {"role_arn": role}
        for account, role in current.items()
        if stored.get(account) != {"role_arn": role}
    }
    if changed and record:
        store.cache_put_many(ROLES, changed)
    roles = dict(current)
    for account, entry in stored.items():
        if account not in roles and isinstance(entry, Mapping):
            role = entry.get("role_arn")
            roles[account] = str(role) if role else None
    return roles


def reachable(plan: Plan, roles: Mapping[str, str | None]) -> Plan:
    """Deletions get their account's role; where none is known, they are blocked."""
    units = []
    for item in plan.units:
        if item.action == "delete":
            account = item.target.id
            if account in roles:
                item = replace(item, target=Account(account, item.target.region, roles[account]))
            else:
                item = replace(
                    item,
                    action="blocked",
                    reason=f"its spec is gone, but no role is known for account {account}; "
                    "the stack is kept (restore the environment spec to delete it)",
                )
        units.append(item)
    return Plan(plan.revision, tuple(units), plan.problems)
