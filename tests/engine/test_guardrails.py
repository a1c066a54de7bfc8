"""Guardrails at apply, against the emulator over HTTP: a denied body is never deployed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from reconciler.report.status import status_document
from tests.engine.conftest import Build, Harness
from tests.engine.platforms import Accounts, write_platform
from tests.guardrails.platform import copy_policies, write_bucket, write_bucket_template
from tests.support.platform_repo import (
    PlatformRepo,
    write_env_template,
    write_environment,
    write_teams,
)

LEAKY = "service/leaky/test"
PHOTOS = "service/photos/test"
EXCEPTION = """
  guardrails:
    exceptions:
      - rule: s3_encrypted
        units: ["service/leaky/*"]
        reason: the application encrypts, until the March migration
        expires: 2027-03-01
"""


def bucket_platform(root: Path, accounts: Accounts) -> PlatformRepo:
    repo = PlatformRepo(root)
    write_env_template(repo)
    write_bucket_template(repo)
    write_platform(repo, accounts)
    write_teams(repo)
    write_environment(repo, "test", accounts.test)
    write_bucket(repo, "photos")
    copy_policies(repo)
    repo.commit("buckets and the Pizza&Ananas guardrails")
    return repo


def _day(value: str) -> Callable[[], date]:
    return lambda: date.fromisoformat(value)


def _apply(h: Harness, today: str = "2027-01-01") -> dict[str, tuple[str, str, str]]:
    applied = h.engine(today=_day(today)).apply(h.snapshot())
    return {u: (o.kind, o.reason, o.message) for u, o in applied.report.outcomes.items()}


def test_a_public_unencrypted_bucket_is_denied_and_never_deployed(
    harness: Callable[[Build], Harness],
) -> None:
    h = harness(bucket_platform)
    write_bucket(h.repo, "leaky", "{encrypted: false, public: true}")
    h.repo.commit("a public, unencrypted bucket")
    planned = h.engine(today=_day("2027-01-01")).plan(h.snapshot())
    leaky = planned.plan.of(LEAKY)
    assert leaky is not None and leaky.action == "denied"
    assert leaky.reason == (
        "denied by guardrail s3_encrypted: Bucket: the bucket is not encrypted: set "
        "BucketEncryption (SSE-S3 or SSE-KMS) (and 1 more)"
    )
    outcomes = _apply(h)
    assert outcomes[LEAKY][:2] == ("denied", "PolicyDenied")
    assert outcomes[PHOTOS][0] == "applied"
    stacks = h.aws.stacks(h.accounts.test)
    assert "goldenpath-service-leaky-test" not in stacks
    assert "goldenpath-service-leaky-test" not in h.aws.stack_names_ever(h.accounts.test)
    assert "goldenpath-service-photos-test" in stacks
    record = h.store.unit(LEAKY)
    assert record is not None and record.fingerprint is None
    stalled = record.condition("Stalled")
    assert stalled is not None and stalled.status and stalled.reason == "PolicyDenied"
    notes = {u["id"]: u["guardrails"] for u in status_document(h.store)["units"]}
    rules = [d["rule"] for d in notes[LEAKY]["denials"]]
    assert rules == ["s3_encrypted", "s3_public_access_blocked"]


def test_an_exception_lets_a_unit_deploy_until_it_expires(
    harness: Callable[[Build], Harness],
) -> None:
    h = harness(bucket_platform)
    write_bucket(h.repo, "leaky", "{encrypted: false}")
    goldenpath = h.repo.root / "goldenpath.yaml"
    goldenpath.write_text(goldenpath.read_text() + EXCEPTION)
    h.repo.commit("an unencrypted bucket, excepted until March")
    outcomes = _apply(h, today="2027-01-01")
    assert outcomes[LEAKY][0] == "applied"
    name = "goldenpath-service-leaky-test"
    assert name in h.aws.stacks(h.accounts.test)
    notes = {u["id"]: u["guardrails"] for u in status_document(h.store)["units"]}
    assert notes[LEAKY]["excepted"] == [
        {
            "rule": "s3_encrypted",
            "resource": "Bucket",
            "message": "the bucket is not encrypted: set BucketEncryption (SSE-S3 or SSE-KMS)",
            "severity": "deny",
            "reason": "the application encrypts, until the March migration",
            "expires": "2027-03-01",
        }
    ]
    operations = h.aws.stack_operations(h.accounts.test, name)
    # The day after it expires the rule denies again: the deployed stack is left alone.
    planned = h.engine(today=_day("2027-03-02")).plan(h.snapshot())
    leaky = planned.plan.of(LEAKY)
    assert leaky is not None and leaky.action == "denied"
    outcomes = _apply(h, today="2027-03-02")
    assert outcomes[LEAKY][:2] == ("denied", "PolicyDenied")
    assert h.aws.stack_operations(h.accounts.test, name) == operations
    assert name in h.aws.stacks(h.accounts.test)


def test_a_policy_that_fails_at_run_time_holds_units_back_and_touches_nothing(
    harness: Callable[[Build], Harness],
) -> None:
    h = harness(bucket_platform)
    assert _apply(h)[PHOTOS][0] == "applied"
    name = "goldenpath-service-photos-test"
    operations = h.aws.stack_operations(h.accounts.test, name)
    h.repo.write(
        "policies/ratio.rego",
        "package goldenpath.guardrails\n\nimport rego.v1\n\n"
        'deny contains {"rule": "ratio", "resource": "", "message": m} if {\n'
        "  n := count(input.template.Resources) - 1\n"
        '  m := sprintf("%v", [10 / n])\n}\n',
    )
    write_bucket(h.repo, "photos", "{versioning: false}")  # an update to deploy
    h.repo.commit("a rule that divides by zero, and a change to photos")
    planned = h.engine(today=_day("2027-01-01")).plan(h.snapshot())
    photos = planned.plan.of(PHOTOS)
    assert photos is not None and photos.action == "blocked"
    assert "guardrails could not be evaluated: a policy failed: divide by zero" in photos.reason
    outcomes = _apply(h)
    assert outcomes[PHOTOS][:2] == ("invalid", "GuardrailsFailed")
    assert "divide by zero" in outcomes[PHOTOS][2]
    assert h.aws.stack_operations(h.accounts.test, name) == operations


def test_a_denied_body_is_not_adopted(harness: Callable[[Build], Harness]) -> None:
    h = harness(bucket_platform)
    assert _apply(h)[PHOTOS][0] == "applied"
    name = "goldenpath-service-photos-test"
    operations = h.aws.stack_operations(h.accounts.test, name)
    h.store.forget_unit(PHOTOS)  # as if another tool had made the stack
    services = h.repo.root / "services" / "photos.yaml"
    services.write_text(
        services.read_text().replace(
            "inputs: {}}", f"inputs: {{encrypted: false}}, stackName: {name}}}"
        )
    )
    h.repo.commit("adopt photos' stack, unencrypted")
    planned = h.engine(today=_day("2027-01-01")).plan(h.snapshot())
    photos = planned.plan.of(PHOTOS)
    assert photos is not None and photos.action == "denied"
    outcomes = _apply(h)
    assert outcomes[PHOTOS][:2] == ("denied", "PolicyDenied")
    record = h.store.unit(PHOTOS)
    assert record is None or record.fingerprint is None  # not taken over
    assert h.aws.stack_operations(h.accounts.test, name) == operations
