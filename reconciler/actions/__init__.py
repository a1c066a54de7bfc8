"""Write actions people take on units: cancel, retry, continue-update-rollback; and tokens.

The engine reconciles from git on its own; these are the few things a person may ask of
it directly, from the command line (``goldenpath cancel`` …, with the state store's and
the cloud's credentials) or from the HTTP API (with a token, ``access``). Each is
recorded in the unit's history with who asked. ``tokens`` is the one token scheme every
endpoint that changes something uses.
"""

from reconciler.actions.access import Actor, authenticate, authorize, create_token, operator
from reconciler.actions.retry import RetryRequested, request_retry
from reconciler.actions.unsticking import (
    ROLLBACK_ACTION,
    ActionSettings,
    Settled,
    StackInterventions,
    Started,
    check_skip,
)

__all__ = [
    "ROLLBACK_ACTION",
    "ActionSettings",
    "Actor",
    "RetryRequested",
    "Settled",
    "StackInterventions",
    "Started",
    "authenticate",
    "authorize",
    "check_skip",
    "create_token",
    "operator",
    "request_retry",
]
