"""Guardrails on a pull request: the validate status, the comment, the policy blast radius
and who may change policies/ (real git repos, real renders, a recording forge)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from reconciler.checks.runner import ChangeChecks, CheckOutcome
from reconciler.events import ChangeAction, ChangeRequest
from reconciler.forges import ChangeRequestRef, CommitStatus
from reconciler.render import Renderer
from reconciler.source.git import GitSource
from reconciler.source.tracked import TrackedRepo
from reconciler.state import StateStore, UnitRecord
from tests.guardrails.platform import guarded_platform, write_bucket
from tests.support.platform_repo import PlatformRepo

TAG_RULE = """package goldenpath.guardrails

import rego.v1

deny contains {"rule": "bucket_owner_tag", "resource": name, "message": msg} if {
	some name, bucket in input.template.Resources
	bucket.Type == "AWS::S3::Bucket"
	not "owner" in {tag.Key | some tag in bucket.Properties.Tags}
	msg := "every bucket carries an owner tag"
}
"""


class RecordingForge:
    def __init__(self) -> None:
        self.statuses: list[tuple[str, CommitStatus]] = []
        self.comments: dict[tuple[int, str], str] = {}

    def set_status(self, commit: str, status: CommitStatus) -> None:
        self.statuses.append((commit, status))

    def upsert_comment(self, change: ChangeRequestRef, marker: str, body: str) -> None:
        self.comments[(change.number, marker)] = body

    def changed_files(self, change: ChangeRequestRef) -> list[str]:
        return []

    def last(self, context: str) -> CommitStatus:
        return [s for _, s in self.statuses if s.context == context][-1]


def _request(number: int, head: str, author: str) -> ChangeRequest:
    return ChangeRequest(
        forge="github",
        repo="pizza-ananas/platform",
        number=number,
        action=ChangeAction.UPDATED,
        head_sha=head,
        head_ref=f"change-{number}",
        base_ref="main",
        author=author,
        delivery_id=f"delivery-{number}",
        title="a change",
        url=f"https://github.com/pizza-ananas/platform/pull/{number}",
    )


def _setup(tmp_path: Path) -> tuple[PlatformRepo, StateStore, RecordingForge, ChangeChecks]:
    repo = guarded_platform(tmp_path / "repo")
    store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")
    _record_deployed(repo, store)
    forge = RecordingForge()
    tracked = TrackedRepo.open(str(repo.root), "main", tmp_path / "cache")
    checks = ChangeChecks(
        tracked,
        store,
        forge,  # type: ignore[arg-type]
        renderer=Renderer(),
        linter=None,
        public_url="http://gp",
        today=lambda: datetime(2027, 1, 1, tzinfo=UTC).date(),
    )
    repo.git("checkout", "-q", "-b", "change")
    return repo, store, forge, checks


def _record_deployed(repo: PlatformRepo, store: StateStore) -> None:
    """Every unit of main as deployed (recorded with a fingerprint and outputs)."""
    from reconciler.desired.build import build_desired

    build = build_desired(GitSource.open(repo.root).snapshot("HEAD"))
    now = datetime(2026, 12, 1, tzinfo=UTC)
    outputs = {"environment": {"VpcId": "vpc-1"}, "service": {"QueueUrl": "https://q"}}
    store.save_units(
        UnitRecord(
            id=unit.id,
            kind=unit.kind,
            stack_name=unit.stack_name,
            account=unit.target.id,
            region=unit.target.region,
            template=unit.template,
            version=unit.version.version,
            updated_at=now,
            fingerprint=f"deployed-{unit.id}",
            stack_id=f"arn:stack/{unit.stack_name}",
            outputs=outputs.get(unit.kind, {}),
        )
        for unit in build.state.units.values()
    )


def _check(checks: ChangeChecks, number: int, head: str, author: str) -> CheckOutcome:
    outcome = checks.check(_request(number, head, author))
    assert outcome is not None
    return outcome


def test_a_denied_bucket_fails_validate_and_shows_on_the_comment(tmp_path: Path) -> None:
    repo, _store, forge, checks = _setup(tmp_path)
    write_bucket(repo, "leaky", "{encrypted: false, public: true}")
    write_bucket(repo, "scratch", "{versioning: false}", env="production")
    head = repo.commit("a public, unencrypted bucket, and one without versioning")
    outcome = _check(checks, 1, head, "gregg")
    assert not outcome.valid
    validate = forge.last("goldenpath/validate")
    assert validate.state == "failure"
    assert validate.description.startswith(
        "2 problems: templates/bucket/v1/instance_infrastructure/cloudformation.yaml:4 "
        "service/leaky/test: rendered line 4: guardrail s3_encrypted d"
    )
    plan = {u["id"]: u for u in outcome.plan["units"]}
    assert plan["service/leaky/test"]["action"] == "denied"
    assert plan["service/scratch/production"]["action"] == "create"  # a warning: no block
    comment = forge.comments[(1, "goldenpath-plan")]
    assert "#### Guardrails" in comment
    assert (
        "| `service/leaky/test` | ❌ deny | `s3_encrypted` | `Bucket` | the bucket is not "
        "encrypted: set BucketEncryption (SSE-S3 or SSE-KMS) |" in comment
    )
    assert "| `service/scratch/production` | ⚠️ warn | `s3_versioning` | `Bucket` |" in comment
    assert "| `service/leaky/test` | x denied | 1.0 | denied by guardrail s3_encrypted" in comment


def test_a_new_rule_lists_the_deployed_units_it_would_deny(tmp_path: Path) -> None:
    repo, _store, forge, checks = _setup(tmp_path)
    repo.write("policies/owner.rego", TAG_RULE)
    head = repo.commit("buckets need an owner tag")
    outcome = _check(checks, 2, head, "anna")
    assert [(t.unit_id, t.effect, t.new) for t in outcome.policy_touched] == [
        ("service/photos/test", "denied", True)
    ]
    comment = forge.comments[(2, "goldenpath-plan")]
    assert "#### Policy blast radius" in comment
    assert "holds back 1 deployed unit(s)" in comment
    assert (
        "| `service/photos/test` | ❌ denied | yes | `bucket_owner_tag` Bucket: every bucket "
        "carries an owner tag |" in comment
    )
    assert outcome.valid is False  # photos no longer passes the head's guardrails


def test_a_non_admin_may_not_change_policies(tmp_path: Path) -> None:
    repo, _store, forge, checks = _setup(tmp_path)
    repo.remove("policies/s3.rego")
    head = repo.commit("no more S3 rules")
    outcome = _check(checks, 3, head, "gregg")
    refused = [p for p in outcome.problems if p.file == "policies/s3.rego"]
    assert [p.message for p in refused] == [
        "gregg (storefront) may not change policies/s3.rego: only platform admins may"
    ]
    assert forge.last("goldenpath/validate").state == "failure"
    # The same change by an admin passes access.
    outcome = _check(checks, 4, head, "anna")
    assert not [p for p in outcome.problems if p.file == "policies/s3.rego"]


def test_a_non_admin_may_not_add_an_exception(tmp_path: Path) -> None:
    repo, _store, _forge, checks = _setup(tmp_path)
    repo.write(
        "goldenpath.yaml",
        "apiVersion: goldenpath.dev/v1\nkind: Platform\nmetadata: {name: p}\nspec:\n"
        "  guardrails:\n    exceptions:\n"
        "      - {rule: s3_encrypted, units: ['*'], reason: mine, expires: 2027-06-01}\n",
    )
    head = repo.commit("an exception for everything")
    outcome = _check(checks, 5, head, "gregg")
    assert any(
        p.file == "goldenpath.yaml" and "only platform admins may" in p.message
        for p in outcome.problems
    )
