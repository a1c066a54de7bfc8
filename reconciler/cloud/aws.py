"""``Cloud`` on CloudFormation through boto3: real AWS, or any endpoint such as the emulator.

This module holds CloudFormation's semantics (which answers are outcomes, how change sets
are computed and cleaned up, how a retried create recognises its own stack); the wire
(credentials, clients, retries, error translation) is ``AwsTransport``'s.
"""

from __future__ import annotations

import json
import random
from collections.abc import Collection
from typing import Any

import structlog

from reconciler.cloud.failures import CallSite, CloudRejected, WaitTimedOut, is_empty_change_set
from reconciler.cloud.model import (
    ChangeSetPreview,
    DriftDetection,
    NoChange,
    ResourceDrift,
    StackEvent,
    StackRef,
    StackRequest,
    StackState,
    Target,
    Updated,
    UpdateOutcome,
    check_change_set_name,
    check_request_token,
)
from reconciler.cloud.responses import (
    drift_detection,
    resource_changes,
    resource_drift,
    stack_event,
    stack_params,
    stack_state,
)
from reconciler.cloud.retry import SYSTEM_CLOCK, Clock
from reconciler.cloud.settings import CloudSettings
from reconciler.cloud.transport import AwsTransport
from reconciler.cloud.waiting import ProgressCallback, wait_for_stacks
from reconciler.errors import CloudError, GoldenpathError, Waiting

log = structlog.get_logger(__name__)

# CloudFormation refuses inline template bodies above this size (bytes); larger ones must
# come from S3, which Goldenpath does not upload to (yet).
MAX_INLINE_BODY_BYTES = 51_200

_CHANGE_SET_READY = frozenset({"CREATE_COMPLETE", "FAILED"})
# A create that we may have issued ourselves leaves the stack in one of these families.
_CREATE_FAMILY = ("CREATE_", "ROLLBACK_")


class AwsCloud:
    """The boto3 implementation of ``Cloud``. Thread-safe; share one per process."""

    def __init__(
        self,
        settings: CloudSettings | None = None,
        clock: Clock = SYSTEM_CLOCK,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings or CloudSettings()
        self._clock = clock
        self._transport = AwsTransport(self.settings, clock, rng or random.Random())

    def warm_up(self) -> None:
        """Load boto3 and CloudFormation's API model now (see ``AwsTransport.warm_up``)."""
        self._transport.warm_up()

    def api_calls(self) -> dict[str, int]:
        """AWS calls sent so far by ``service:Operation`` (retries included)."""
        return self._transport.api_calls()

    def api_calls_of(self, account_id: str) -> int:
        """AWS calls sent so far on behalf of one account (retries included)."""
        return self._transport.api_calls_of(account_id)

    def describe(self, target: Target, names: Collection[str]) -> dict[str, StackState]:
        wanted = set(names)
        if not wanted:
            return {}
        if len(wanted) == 1:
            # One stack: asking by name is one call too, and never pages the account.
            (name,) = wanted
            try:
                page = self._transport.call(target, "DescribeStacks", name, StackName=name)
            except CloudRejected as exc:
                if exc.is_missing_stack:
                    return {}
                raise
            return _present(page, wanted)
        found: dict[str, StackState] = {}
        token: str | None = None
        while True:
            extra = {"NextToken": token} if token else {}
            page = self._transport.call(target, "DescribeStacks", None, **extra)
            found.update(_present(page, wanted))
            token = page.get("NextToken")
            if not token or len(found) == len(wanted):
                return found

    def stacks(self, target: Target, prefix: str = "") -> dict[str, StackState]:
        found: dict[str, StackState] = {}
        token: str | None = None
        while True:
            extra = {"NextToken": token} if token else {}
            page = self._transport.call(target, "DescribeStacks", None, **extra)
            for raw in page.get("Stacks", ()):
                name = raw["StackName"]
                if name.startswith(prefix) and raw["StackStatus"] != "DELETE_COMPLETE":
                    found[name] = stack_state(raw)
            token = page.get("NextToken")
            if not token:
                return found

    def template(self, target: Target, name: str) -> str:
        response = self._transport.call(
            target, "GetTemplate", name, StackName=name, TemplateStage="Original"
        )
        body = response["TemplateBody"]
        # botocore decodes a JSON body into a dict; give back text either way.
        return body if isinstance(body, str) else json.dumps(body, indent=2)

    def detect_drift(self, target: Target, name: str) -> str:
        response = self._transport.call(target, "DetectStackDrift", name, StackName=name)
        detection_id: str = response["StackDriftDetectionId"]
        return detection_id

    def drift_detection(self, target: Target, detection_id: str) -> DriftDetection:
        response = self._transport.call(
            target,
            "DescribeStackDriftDetectionStatus",
            None,
            StackDriftDetectionId=detection_id,
        )
        return drift_detection(response)

    def resource_drifts(self, target: Target, name: str) -> tuple[ResourceDrift, ...]:
        found: list[ResourceDrift] = []
        token: str | None = None
        while True:
            extra = {"NextToken": token} if token else {}
            page = self._transport.call(
                target,
                "DescribeStackResourceDrifts",
                name,
                StackName=name,
                StackResourceDriftStatusFilters=["MODIFIED", "DELETED"],
                **extra,
            )
            found.extend(resource_drift(raw) for raw in page.get("StackResourceDrifts", ()))
            token = page.get("NextToken")
            if not token:
                return tuple(found)

    def create(self, target: Target, stack: StackRequest, token: str) -> str:
        check_request_token(token)
        params = self._request_params(target, stack)
        try:
            response = self._transport.call(
                target,
                "CreateStack",
                stack.name,
                ClientRequestToken=token,
                OnFailure="ROLLBACK",
                EnableTerminationProtection=False,
                **params,
            )
        except CloudRejected as exc:
            adopted = self._own_earlier_create(target, stack, exc)
            if adopted is None:
                raise
            return adopted
        stack_id: str = response["StackId"]
        log.info("cloud.stack_create_started", stack_name=stack.name, target=str(target))
        return stack_id

    def preview_update(
        self, target: Target, stack: StackRequest, change_set_name: str
    ) -> ChangeSetPreview:
        check_change_set_name(change_set_name)
        params = self._request_params(target, stack)
        to_delete: str | None = None
        try:
            try:
                created = self._transport.call(
                    target,
                    "CreateChangeSet",
                    stack.name,
                    ChangeSetName=change_set_name,
                    ChangeSetType="UPDATE",
                    Description="goldenpath plan preview; deleted after reading",
                    **params,
                )
                to_delete = created["Id"]
            except CloudRejected as exc:
                if exc.is_no_updates:  # some endpoints refuse at once instead of FAILED
                    return ChangeSetPreview(changes=(), no_changes=True)
                # A retry after a lost response finds the change set the first try made.
                if not (exc.is_already_exists and exc.attempts > 1):
                    raise
                to_delete = change_set_name
            except Waiting:
                to_delete = change_set_name  # the request may have landed before it failed
                raise
            return self._read_change_set(target, stack.name, to_delete)
        finally:
            if to_delete is not None:
                self._discard_change_set(target, stack.name, to_delete)

    def update(self, target: Target, stack: StackRequest, token: str) -> UpdateOutcome:
        check_request_token(token)
        params = self._request_params(target, stack)
        try:
            response = self._transport.call(
                target, "UpdateStack", stack.name, ClientRequestToken=token, **params
            )
        except CloudRejected as exc:
            if exc.is_no_updates:
                return NoChange(stack.name)
            raise
        log.info("cloud.stack_update_started", stack_name=stack.name, target=str(target))
        return Updated(response["StackId"])

    def delete(self, target: Target, name: str, token: str, retain: Collection[str] = ()) -> None:
        check_request_token(token)
        params: dict[str, Any] = {"StackName": name, "ClientRequestToken": token}
        if retain:
            params["RetainResources"] = sorted(retain)
        self._transport.call(target, "DeleteStack", name, **params)
        log.info(
            "cloud.stack_delete_started", stack_name=name, target=str(target), retain=sorted(retain)
        )

    def cancel_update(self, target: Target, name: str, token: str) -> None:
        check_request_token(token)
        self._transport.call(
            target, "CancelUpdateStack", name, StackName=name, ClientRequestToken=token
        )
        log.info("cloud.stack_update_cancelled", stack_name=name, target=str(target))

    def continue_update_rollback(
        self, target: Target, name: str, token: str, skip: Collection[str] = ()
    ) -> None:
        check_request_token(token)
        params: dict[str, Any] = {"StackName": name, "ClientRequestToken": token}
        if skip:
            params["ResourcesToSkip"] = sorted(skip)
        self._transport.call(target, "ContinueUpdateRollback", name, **params)
        log.info(
            "cloud.stack_rollback_continued", stack_name=name, target=str(target), skip=sorted(skip)
        )

    def events(self, target: Target, name: str, limit: int = 100) -> tuple[StackEvent, ...]:
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        found: list[StackEvent] = []
        token: str | None = None
        while len(found) < limit:
            extra = {"NextToken": token} if token else {}
            page = self._transport.call(
                target, "DescribeStackEvents", name, StackName=name, **extra
            )
            found.extend(stack_event(raw) for raw in page.get("StackEvents", ()))
            token = page.get("NextToken")
            if not token:
                break
        return tuple(found[:limit])

    def wait(
        self, stacks: Collection[StackRef], progress: ProgressCallback | None = None
    ) -> dict[StackRef, StackState | None]:
        return wait_for_stacks(self.describe, stacks, self.settings.wait, self._clock, progress)

    def _request_params(self, target: Target, stack: StackRequest) -> dict[str, Any]:
        size = len(stack.body.encode())
        if size > MAX_INLINE_BODY_BYTES:
            raise CloudError(
                f"stack {stack.name} in {target}: the template body is {size:,} bytes; "
                f"CloudFormation accepts at most {MAX_INLINE_BODY_BYTES:,} bytes inline"
            )
        return stack_params(stack)

    def _own_earlier_create(
        self, target: Target, stack: StackRequest, exc: CloudRejected
    ) -> str | None:
        """The stack id when "already exists" answers a retry of our own CreateStack.

        A first try can reach AWS and lose its response; the retry is then told the stack
        exists. It is ours if it carries exactly our tags and has not moved past its
        creation. A stack that was there before our first try is never adopted, because
        that answer comes on the first try.
        """
        if not exc.is_already_exists or exc.attempts < 2:
            return None
        existing = self.describe(target, [stack.name]).get(stack.name)
        if existing is None or dict(existing.tags) != dict(stack.tags):
            return None
        if not existing.status.startswith(_CREATE_FAMILY):
            return None
        log.info("cloud.stack_create_adopted", stack_name=stack.name, target=str(target))
        return existing.stack_id

    def _read_change_set(self, target: Target, stack: str, change_set: str) -> ChangeSetPreview:
        described = self._await_change_set(target, stack, change_set)
        if described["Status"] == "FAILED":
            reason = described.get("StatusReason")
            if is_empty_change_set(reason):
                return ChangeSetPreview(changes=(), no_changes=True)
            raise CloudRejected(
                CallSite("CreateChangeSet", stack, target),
                "ChangeSetFailed",
                reason or "the change set failed without a reason",
                attempts=1,
            )
        changes = resource_changes(described.get("Changes", []), stack)
        token = described.get("NextToken")
        while token:
            page = self._describe_change_set(target, stack, change_set, NextToken=token)
            changes.extend(resource_changes(page.get("Changes", []), stack))
            token = page.get("NextToken")
        return ChangeSetPreview(changes=tuple(changes), no_changes=False)

    def _await_change_set(self, target: Target, stack: str, change_set: str) -> dict[str, Any]:
        interval = self.settings.change_set_poll_interval
        deadline = self._clock.now() + self.settings.change_set_timeout
        while True:
            described = self._describe_change_set(target, stack, change_set)
            status = described["Status"]
            if status in _CHANGE_SET_READY:
                return described
            if status.startswith("DELETE"):
                raise CloudError(
                    f"change set {change_set} of {stack} in {target} was deleted "
                    f"while CloudFormation computed it ({status})"
                )
            if self._clock.now() + interval > deadline:
                raise WaitTimedOut(
                    f"change set {change_set} of {stack} in {target} still {status} after "
                    f"{self.settings.change_set_timeout:.0f} s",
                    states={},
                    delay=interval,
                )
            self._clock.sleep(interval)

    def _describe_change_set(
        self, target: Target, stack: str, change_set: str, **extra: Any
    ) -> dict[str, Any]:
        return self._transport.call(
            target,
            "DescribeChangeSet",
            stack,
            ChangeSetName=change_set,
            StackName=stack,
            **extra,
        )

    def _discard_change_set(self, target: Target, stack: str, change_set: str) -> None:
        """Delete a preview's change set; never raise, so the preview's outcome stands."""
        try:
            self._transport.call(
                target, "DeleteChangeSet", stack, ChangeSetName=change_set, StackName=stack
            )
        except CloudRejected as exc:
            if exc.code == "ChangeSetNotFound" or exc.is_missing_stack:
                return
            log.error(
                "cloud.change_set_leaked", stack_name=stack, change_set=change_set, error=str(exc)
            )
        except GoldenpathError as exc:
            log.error(
                "cloud.change_set_leaked", stack_name=stack, change_set=change_set, error=str(exc)
            )


def _present(page: dict[str, Any], wanted: set[str]) -> dict[str, StackState]:
    """The wanted stacks of a DescribeStacks page that exist (deleted ones do not)."""
    found = {}
    for raw in page.get("Stacks", ()):
        if raw["StackName"] in wanted and raw["StackStatus"] != "DELETE_COMPLETE":
            found[raw["StackName"]] = stack_state(raw)
    return found
