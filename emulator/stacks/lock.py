"""The one lock that serializes CloudFormation work in the emulator.

moto's CloudFormation (and the backends it creates resources in) keep plain dicts that are
not safe to mutate from several request threads at once. Every CloudFormation request
(fix ``serialized-requests``) and every delayed step of a stack operation runs under this
lock. It is re-entrant because a request that runs an operation inline already holds it.
"""

from __future__ import annotations

import threading

CLOUDFORMATION_LOCK = threading.RLock()
