"""The cloud edge: CloudFormation stacks in AWS accounts, in Goldenpath's words.

The engine depends on the ``Cloud`` protocol only. ``AwsCloud`` implements it with boto3
for AWS or any endpoint (the embedded emulator); ``FaultyCloud`` wraps any ``Cloud`` to
inject failures in tests. Errors are those of ``reconciler.errors``; the two the cloud
edge adds are ``CloudRejected`` (a ``CloudError`` carrying the AWS error code) and
``WaitTimedOut`` (a ``Waiting`` error carrying the last states seen).

Importing this package does not import boto3; the first real client does.
"""

from reconciler.cloud.aws import MAX_INLINE_BODY_BYTES, AwsCloud
from reconciler.cloud.failures import CallSite, CloudRejected, WaitTimedOut
from reconciler.cloud.faults import Fault, FaultyCloud, RecordedCall
from reconciler.cloud.interface import Cloud
from reconciler.cloud.model import (
    ALL_CAPABILITIES,
    ChangeSetPreview,
    DriftDetection,
    NoChange,
    PropertyDifference,
    ResourceChange,
    ResourceDrift,
    StackEvent,
    StackRef,
    StackRequest,
    StackState,
    Target,
    Updated,
    UpdateOutcome,
    WaitProgress,
)
from reconciler.cloud.retry import SYSTEM_CLOCK, Clock, RetryPolicy, SystemClock
from reconciler.cloud.settings import AccessKey, CloudSettings, WaitSchedule
from reconciler.cloud.status import Phase, failure_message, is_terminal, must_recreate, phase
from reconciler.cloud.waiting import ProgressCallback

__all__ = [
    "ALL_CAPABILITIES",
    "MAX_INLINE_BODY_BYTES",
    "SYSTEM_CLOCK",
    "AccessKey",
    "AwsCloud",
    "CallSite",
    "ChangeSetPreview",
    "Clock",
    "Cloud",
    "CloudRejected",
    "CloudSettings",
    "DriftDetection",
    "Fault",
    "FaultyCloud",
    "NoChange",
    "Phase",
    "ProgressCallback",
    "PropertyDifference",
    "RecordedCall",
    "ResourceChange",
    "ResourceDrift",
    "RetryPolicy",
    "StackEvent",
    "StackRef",
    "StackRequest",
    "StackState",
    "SystemClock",
    "Target",
    "UpdateOutcome",
    "Updated",
    "WaitProgress",
    "WaitSchedule",
    "WaitTimedOut",
    "failure_message",
    "is_terminal",
    "must_recreate",
    "phase",
]
