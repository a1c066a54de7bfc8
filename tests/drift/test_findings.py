"""What counts as drift, and what self-heal may do: pure decisions."""

from __future__ import annotations

from reconciler.drift.findings import (
    DriftedResource,
    Observation,
    compare_template,
    detectable,
    heal_decision,
    judge,
)
from reconciler.specs.model import DriftSettings

BODY = """
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties: {DelaySeconds: 1}
"""
HEAL_SERVICES = DriftSettings(heal=("service",))


def _seen(**changes: object) -> Observation:
    base = {"unit_id": "service/web/test", "stack_name": "web", "exists": True}
    return Observation(**{**base, **changes})  # type: ignore[arg-type]


def test_a_stack_as_applied_is_no_finding() -> None:
    assert judge(_seen(template=compare_template(BODY, BODY))) is None


def test_the_same_template_written_otherwise_is_no_finding() -> None:
    json_body = (
        '{"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"DelaySeconds": 1}}}}'
    )

    assert judge(_seen(template=compare_template(json_body, BODY))) is None


def test_a_changed_template_names_the_resource() -> None:
    live = BODY.replace("DelaySeconds: 1", "DelaySeconds: 7")

    found = judge(_seen(template=compare_template(live, BODY)))

    assert found is not None and found.reason == "TemplateChanged"
    assert found.message == "template changed outside Goldenpath: modify Queue"


def test_a_deleted_stack_comes_first_and_the_same_drift_signs_the_same() -> None:
    found = judge(_seen(exists=False))
    again = judge(_seen(exists=False))

    assert found is not None and again is not None
    assert found.reason == "StackDeleted" and found.signature == again.signature


def test_resources_and_outputs_are_both_said() -> None:
    drifted = DriftedResource("Queue", "AWS::SQS::Queue", "MODIFIED", ("/DelaySeconds",))

    found = judge(_seen(resources=(drifted,), outputs={"QueueUrl": ("a", "b")}))

    assert found is not None and found.reason == "ResourcesDrifted"
    assert "Queue (AWS::SQS::Queue) MODIFIED /DelaySeconds" in found.message
    assert "outputs changed: QueueUrl" in found.message


def test_heal_covers_kinds_ids_and_globs() -> None:
    settings = DriftSettings(heal=("environment", "service/*/test", "pipeline/orders"))

    assert settings.heals("environment/prod", holds_data=False)
    assert settings.heals("service/web/test", holds_data=False)
    assert not settings.heals("service/web/production", holds_data=False)
    assert settings.heals("pipeline/orders", holds_data=False)
    assert not settings.heals("pipeline/web", holds_data=False)


def test_a_data_template_is_healed_only_when_named_by_id() -> None:
    found = judge(_seen(template=compare_template(BODY.replace("1", "7"), BODY)))
    assert found is not None

    by_kind = heal_decision(found, HEAL_SERVICES, holds_data=True, adopted=False)
    by_glob = heal_decision(
        found, DriftSettings(heal=("service/*/test",)), holds_data=True, adopted=False
    )
    by_id = heal_decision(
        found, DriftSettings(heal=("service/web/test",)), holds_data=True, adopted=False
    )

    assert not by_kind[0] and "names it by id" in by_kind[1]
    assert not by_glob[0]
    assert by_id[0]


def test_a_deleted_stack_is_never_created_again_for_data_or_adopted_units() -> None:
    deleted = judge(_seen(exists=False))
    assert deleted is not None
    named = DriftSettings(heal=("service/web/test",))

    data = heal_decision(deleted, named, holds_data=True, adopted=False)
    adopted = heal_decision(deleted, named, holds_data=False, adopted=True)
    plain = heal_decision(deleted, named, holds_data=False, adopted=False)

    assert not data[0] and "never created again" in data[1]
    assert not adopted[0] and "stackName" in adopted[1]
    assert plain[0]


def test_drift_an_unchanged_template_cannot_fix_is_not_healed() -> None:
    drifted = DriftedResource("Queue", "AWS::SQS::Queue", "MODIFIED", ("/DelaySeconds",))
    found = judge(_seen(resources=(drifted,)))
    assert found is not None

    heal, why = heal_decision(found, HEAL_SERVICES, holds_data=False, adopted=False)

    assert not heal and "cannot correct" in why


def test_only_custom_resources_leave_nothing_to_detect() -> None:
    custom = "Resources:\n  Hook:\n    Type: Custom::Thing\n    Properties: {ServiceToken: x}\n"

    assert detectable(BODY)
    assert not detectable(custom)
