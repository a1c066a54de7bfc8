"""GitHub deliveries: the ``X-Hub-Signature-256`` check and the payload-to-event parser.

GitHub signs the raw body with HMAC-SHA256 keyed by the hook's secret. The SHA-1
``X-Hub-Signature`` exists only for old receivers and is never enough on its own. Events
we act on: ``ping``, ``push`` to the tracked branch, and ``pull_request`` actions that
change what a check would say; everything else is acknowledged and ignored.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from reconciler.events import ChangeAction, ChangeRequest, ForgeEvent, Ping, Push
from webhooks.delivery import (
    NO_COMMIT,
    Ignored,
    Refused,
    branch_of,
    commit_id,
    flag,
    header,
    integer,
    optional_text,
    text,
)

SIGNATURE_PREFIX = "sha256="
# Bytes hashed per call: below hashlib's 2,048, from which it releases the GIL.
_HASH_PIECE = 2047

# pull_request actions that change what the checks on the head should say.
_ACTIONS = {
    "opened": ChangeAction.OPENED,
    "synchronize": ChangeAction.UPDATED,
    "reopened": ChangeAction.REOPENED,
    "ready_for_review": ChangeAction.READY,
}


def signature(secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value GitHub would send for ``body``."""
    mac = hmac.new(secret.encode("utf-8"), digestmod=hashlib.sha256)
    # hashlib lets go of the GIL for a piece of 2 KiB or more. In serve the event loop then
    # waits to take it back from the delivery log's writer or the reconcile loop, which
    # cost ~0.3 ms a delivery when measured, twenty times the hash itself; smaller pieces
    # are hashed without letting go.
    view = memoryview(body)
    for start in range(0, len(view), _HASH_PIECE):
        mac.update(view[start : start + _HASH_PIECE])
    return SIGNATURE_PREFIX + mac.hexdigest()


class GitHubDialect:
    """How GitHub signs, names and shapes webhook deliveries."""

    forge = "github"

    def repo_of(self, document: object) -> str | None:
        if isinstance(document, dict):
            repository = document.get("repository")
            if isinstance(repository, dict):
                name = repository.get("full_name")
                if isinstance(name, str):
                    return name
        return None

    def verify(self, headers: Mapping[str, str], body: bytes, secret: str) -> None:
        sent = headers.get("x-hub-signature-256")
        if not sent:
            if headers.get("x-hub-signature"):
                raise Refused(
                    401,
                    "only the SHA-1 X-Hub-Signature was sent; SHA-1 is not accepted, "
                    "X-Hub-Signature-256 is required",
                )
            raise Refused(401, "missing X-Hub-Signature-256 header: is a secret set on the hook?")
        if not sent.startswith(SIGNATURE_PREFIX):
            raise Refused(401, f"X-Hub-Signature-256 must start with {SIGNATURE_PREFIX!r}")
        expected = signature(secret, body)
        if not hmac.compare_digest(expected.encode(), sent.encode()):
            raise Refused(401, "X-Hub-Signature-256 does not match the body and the secret")

    def delivery_id(self, headers: Mapping[str, str]) -> str:
        return header(headers, "X-GitHub-Delivery")

    def parse(
        self, headers: Mapping[str, str], document: object, delivery_id: str, branch: str
    ) -> ForgeEvent | Ignored:
        event = header(headers, "X-GitHub-Event")
        if event == "ping":
            return Ping(
                forge=self.forge,
                repo=optional_text(document, "repository.full_name"),
                delivery_id=delivery_id,
                hook_id=str(integer(document, "hook_id")),
            )
        if event == "push":
            return self._push(document, delivery_id, branch)
        if event == "pull_request":
            return self._pull_request(document, delivery_id, branch)
        return Ignored(f"GitHub event {event!r} needs no work")

    def _push(self, document: object, delivery_id: str, tracked: str) -> Push | Ignored:
        ref = text(document, "ref")
        pushed = branch_of(ref)
        if pushed is None:
            return Ignored(f"push to {ref}: not a branch")
        after = commit_id(document, "after")
        if flag(document, "deleted") or after == NO_COMMIT:
            return Ignored(f"push deleted branch {pushed}")
        if pushed != tracked:
            return Ignored(f"push to branch {pushed}; tracking {tracked}")
        return Push(
            forge=self.forge,
            repo=text(document, "repository.full_name"),
            branch=pushed,
            before=commit_id(document, "before"),
            commit=after,
            delivery_id=delivery_id,
            # sender is the account; pusher.name is only the git-side name.
            pusher=optional_text(document, "sender.login")
            or optional_text(document, "pusher.name"),
        )

    def _pull_request(
        self, document: object, delivery_id: str, tracked: str
    ) -> ChangeRequest | Ignored:
        action_name = text(document, "action")
        if action_name == "closed":
            merged = flag(document, "pull_request.merged")
            action = ChangeAction.MERGED if merged else ChangeAction.CLOSED
        elif action_name in _ACTIONS:
            action = _ACTIONS[action_name]
        else:
            return Ignored(f"pull_request action {action_name!r} needs no work")
        base = text(document, "pull_request.base.ref")
        if base != tracked:
            return Ignored(f"pull request targets {base}; tracking {tracked}")
        return ChangeRequest(
            forge=self.forge,
            repo=text(document, "repository.full_name"),
            number=integer(document, "pull_request.number"),
            action=action,
            head_sha=commit_id(document, "pull_request.head.sha"),
            head_ref=text(document, "pull_request.head.ref"),
            base_ref=base,
            author=text(document, "pull_request.user.login"),
            delivery_id=delivery_id,
            title=optional_text(document, "pull_request.title"),
            url=optional_text(document, "pull_request.html_url"),
        )
