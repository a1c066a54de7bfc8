"""Update previews through change sets, which never outlive the preview."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.cloud import AwsCloud, CloudRejected, ResourceChange, Target
from reconciler.errors import CloudThrottled
from tests.cloud.conftest import CloudFactory, raw_client, token, topic_stack
from tests.cloud.flaky_proxy import FlakyProxy


def _change_sets(emulator_url: str, target: Target, stack: str) -> list[Any]:
    summaries: list[Any] = raw_client(emulator_url, target).list_change_sets(StackName=stack)[
        "Summaries"
    ]
    return [s for s in summaries if s["StackName"] == stack]


def test_preview_lists_the_resource_changes(cloud: AwsCloud, target: Target) -> None:
    cloud.create(target, topic_stack("env-test"), token())

    preview = cloud.preview_update(target, topic_stack("env-test", second_topic=True), "plan-1")

    assert not preview.no_changes
    assert preview.changes == (
        ResourceChange(logical_id="Audit", type="AWS::SNS::Topic", action="Add"),
    )


def test_preview_deletes_its_change_set(cloud: AwsCloud, target: Target, emulator_url: str) -> None:
    cloud.create(target, topic_stack("env-test"), token())

    cloud.preview_update(target, topic_stack("env-test", second_topic=True), "plan-1")

    assert _change_sets(emulator_url, target, "env-test") == []
    assert cloud.api_calls()["cloudformation:DeleteChangeSet"] == 1


def test_preview_of_an_unchanged_stack_is_no_changes_and_is_cleaned_up(
    cloud: AwsCloud, target: Target, emulator_url: str
) -> None:
    cloud.create(target, topic_stack("env-test"), token())

    preview = cloud.preview_update(target, topic_stack("env-test"), "plan-1")

    assert preview.no_changes
    assert preview.changes == ()
    assert _change_sets(emulator_url, target, "env-test") == []


def test_preview_of_a_missing_stack_is_rejected_and_deletes_nothing(
    cloud: AwsCloud, target: Target
) -> None:
    with pytest.raises(CloudRejected) as caught:
        cloud.preview_update(target, topic_stack("ghost"), "plan-1")

    assert "CreateChangeSet ghost" in str(caught.value)
    assert "cloudformation:DeleteChangeSet" not in cloud.api_calls()


def test_preview_deletes_its_change_set_when_reading_it_fails(
    make_cloud: CloudFactory, proxy: FlakyProxy, target: Target, emulator_url: str
) -> None:
    cloud = make_cloud(endpoint_url=proxy.url)
    cloud.create(target, topic_stack("env-test"), token())
    proxy.fail("DescribeChangeSet", "throttle", times=cloud.settings.retry.max_attempts)

    with pytest.raises(CloudThrottled):
        cloud.preview_update(target, topic_stack("env-test", second_topic=True), "plan-1")

    assert proxy.count("DeleteChangeSet") == 1
    assert _change_sets(emulator_url, target, "env-test") == []


def test_preview_after_a_lost_create_response_reads_and_deletes_the_change_set(
    make_cloud: CloudFactory, proxy: FlakyProxy, target: Target, emulator_url: str
) -> None:
    cloud = make_cloud(endpoint_url=proxy.url)
    cloud.create(target, topic_stack("env-test"), token())
    # The first try lands but its answer is lost; AWS answers the retry as it would.
    proxy.fail("CreateChangeSet", "lost_response")
    proxy.fail("CreateChangeSet", "already_exists")

    preview = cloud.preview_update(target, topic_stack("env-test", second_topic=True), "plan-1")

    assert [change.logical_id for change in preview.changes] == ["Audit"]
    assert proxy.count("CreateChangeSet") == 2
    assert _change_sets(emulator_url, target, "env-test") == []
