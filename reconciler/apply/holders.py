"""Who holds a unit's lease, and whether that holder is a dead process on this host.

A lease names its holder ``host:pid:nonce``. Leases expire (``ApplySettings.lease_ttl``),
which is what frees the units of a process that died on another machine. A process that
died on this machine — an apply killed with SIGKILL, say — need not be waited for: when
its pid no longer exists here, the lease is free at once, and a restarted apply resumes
its operations immediately.
"""

from __future__ import annotations

import os
import socket
import uuid


def holder_name() -> str:
    """A lease holder name for this process: ``host:pid:nonce``."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def dead_here(holder: str) -> bool:
    """True only when ``holder`` names a process of this host that no longer exists."""
    parts = holder.split(":")
    if len(parts) != 3 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    pid = int(parts[1])
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return True
    except PermissionError:  # it exists, under another user
        return False
    return False
