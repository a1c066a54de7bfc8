"""The cloud edge's public surface is a contract, and importing it stays cheap."""

from __future__ import annotations

import subprocess
import sys

import reconciler.cloud


def test_public_names_are_pinned() -> None:
    assert sorted(reconciler.cloud.__all__) == [
        "ALL_CAPABILITIES",
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
        "MAX_INLINE_BODY_BYTES",
        "NoChange",
        "Phase",
        "ProgressCallback",
        "PropertyDifference",
        "RecordedCall",
        "ResourceChange",
        "ResourceDrift",
        "RetryPolicy",
        "SYSTEM_CLOCK",
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
    for name in reconciler.cloud.__all__:
        assert hasattr(reconciler.cloud, name), name


def test_importing_the_package_and_building_a_cloud_does_not_import_boto3() -> None:
    probe = (
        "import sys\n"
        "from reconciler.cloud import AwsCloud, CloudSettings\n"
        "AwsCloud(CloudSettings(endpoint_url='http://127.0.0.1:1'))\n"
        "print(sorted(m for m in ('boto3', 'botocore') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
