"""GitLab deliveries: the ``X-Gitlab-Token`` check and the payload-to-event parser.

GitLab does not sign bodies: it sends the hook's secret token as-is, so the check is a
constant-time comparison of that header with our secret. Events we act on: ``Push Hook``
to the tracked branch and ``Merge Request Hook`` actions that change what a check would
say; everything else (tag pushes, notes, pipelines …) is acknowledged and ignored.

One difference from GitHub worth knowing: a merge request hook names the user who acted
(``user.username``: the opener, the pusher of new commits, the merger) and gives the
author only as a numeric ``author_id``. The event's ``author`` is therefore the actor.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from reconciler.events import ChangeAction, ChangeRequest, ForgeEvent, Push
from webhooks.delivery import (
    NO_COMMIT,
    Ignored,
    Refused,
    branch_of,
    commit_id,
    header,
    integer,
    optional_text,
    text,
)

# X-Gitlab-Event values and the object_kind their payload must carry.
_KINDS = {"Push Hook": "push", "Merge Request Hook": "merge_request"}

_ACTIONS = {
    "open": ChangeAction.OPENED,
    "reopen": ChangeAction.REOPENED,
    "close": ChangeAction.CLOSED,
    "merge": ChangeAction.MERGED,
}


class GitLabDialect:
    """How GitLab authenticates, names and shapes webhook deliveries."""

    forge = "gitlab"

    def repo_of(self, document: object) -> str | None:
        if isinstance(document, dict):
            project = document.get("project")
            if isinstance(project, dict):
                path = project.get("path_with_namespace")
                if isinstance(path, str):
                    return path
        return None

    def verify(self, headers: Mapping[str, str], body: bytes, secret: str) -> None:
        sent = headers.get("x-gitlab-token")
        if not sent:
            raise Refused(401, "missing X-Gitlab-Token header: is a secret token set on the hook?")
        if not hmac.compare_digest(sent.encode(), secret.encode()):
            raise Refused(401, "X-Gitlab-Token does not match the configured secret")

    def delivery_id(self, headers: Mapping[str, str]) -> str:
        # Idempotency-Key (17.4+) is documented to stay the same across retries and
        # "Resend Request"; X-Gitlab-Event-UUID (14.8+) identifies the event.
        key = headers.get("idempotency-key", "").strip()
        return key or header(headers, "X-Gitlab-Event-UUID")

    def parse(
        self, headers: Mapping[str, str], document: object, delivery_id: str, branch: str
    ) -> ForgeEvent | Ignored:
        event = header(headers, "X-Gitlab-Event")
        kind = _KINDS.get(event)
        if kind is None:
            return Ignored(f"GitLab event {event!r} needs no work")
        object_kind = text(document, "object_kind")
        if object_kind != kind:
            raise Refused(
                400, f"field object_kind: expected {kind!r} for {event}, got {object_kind!r}"
            )
        if kind == "push":
            return self._push(document, delivery_id, branch)
        return self._merge_request(document, delivery_id, branch)

    def _push(self, document: object, delivery_id: str, tracked: str) -> Push | Ignored:
        ref = text(document, "ref")
        pushed = branch_of(ref)
        if pushed is None:
            return Ignored(f"push to {ref}: not a branch")
        after = commit_id(document, "after")
        if after == NO_COMMIT:
            return Ignored(f"push deleted branch {pushed}")
        if pushed != tracked:
            return Ignored(f"push to branch {pushed}; tracking {tracked}")
        return Push(
            forge=self.forge,
            repo=text(document, "project.path_with_namespace"),
            branch=pushed,
            before=commit_id(document, "before"),
            commit=after,
            delivery_id=delivery_id,
            pusher=optional_text(document, "user_username") or optional_text(document, "user_name"),
        )

    def _merge_request(
        self, document: object, delivery_id: str, tracked: str
    ) -> ChangeRequest | Ignored:
        action_name = text(document, "object_attributes.action")
        action = _ACTIONS.get(action_name)
        if action_name == "update":
            action = self._update_action(document)
            if action is None:
                return Ignored("merge request update without new commits or leaving draft")
        elif action is None:
            return Ignored(f"merge request action {action_name!r} needs no work")
        base = text(document, "object_attributes.target_branch")
        if base != tracked:
            return Ignored(f"merge request targets {base}; tracking {tracked}")
        return ChangeRequest(
            forge=self.forge,
            repo=text(document, "project.path_with_namespace"),
            number=integer(document, "object_attributes.iid"),
            action=action,
            head_sha=commit_id(document, "object_attributes.last_commit.id"),
            head_ref=text(document, "object_attributes.source_branch"),
            base_ref=base,
            author=text(document, "user.username"),
            delivery_id=delivery_id,
            title=optional_text(document, "object_attributes.title"),
            url=optional_text(document, "object_attributes.url"),
        )

    @staticmethod
    def _update_action(document: object) -> ChangeAction | None:
        """An ``update`` matters when code changed (``oldrev`` is set) or draft ended."""
        if optional_text(document, "object_attributes.oldrev"):
            return ChangeAction.UPDATED
        changes = document.get("changes") if isinstance(document, dict) else None
        draft = changes.get("draft") if isinstance(changes, dict) else None
        if (
            isinstance(draft, dict)
            and draft.get("previous") is True
            and draft.get("current") is False
        ):
            return ChangeAction.READY
        return None
