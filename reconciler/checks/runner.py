"""Checks on a change request's head: ``goldenpath/validate``, ``goldenpath/plan``, a comment.

Everything here reads: the head is validated and planned against the recorded state of
the tracked branch, with no cloud call at all, so pull-request content never runs with
credentials that could change infrastructure. The plan is stored for the plan page, the
statuses point at it, and the one comment is updated in place on every push.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import structlog

from reconciler.apply.records import recorded_views
from reconciler.caching import committed_snapshot
from reconciler.checks.access import check_access
from reconciler.checks.blast import Touched, blast_radius
from reconciler.checks.comment import compose
from reconciler.checks.policy_blast import PolicyTouched, policy_blast_radius
from reconciler.desired.render_memo import RenderMemo
from reconciler.errors import GoldenpathError, Problem, SourceError
from reconciler.events import ChangeRequest
from reconciler.forges import (
    ChangeRequestRef,
    CommitStatus,
    Forge,
    ForgeError,
    StatusState,
    wording,
)
from reconciler.guardrails import GuardrailSettings, Verdict, VerdictCache, load_policies
from reconciler.plan.planning import plan_snapshot
from reconciler.render import Linter, Renderer
from reconciler.source.tracked import TrackedRepo
from reconciler.specs.loader import load_specs
from reconciler.specs.memo import ContentMemo
from reconciler.state import StateStore
from reconciler.terraform.checks import TerraformFmt
from reconciler.validation import validate_snapshot

log = structlog.get_logger(__name__)
PLANS = "pr-plans"  # state store cache namespace of the plans behind plan pages
COMMENT_MARKER = "goldenpath-plan"


def plan_key(event: ChangeRequest) -> str:
    """A URL-safe key of a change request's plan: ``github-owner-repo-12``."""
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in event.repo)
    return f"{event.forge}-{safe}-{event.number}"


@dataclass
class CheckOutcome:
    head: str
    problems: list[Problem]
    plan: dict[str, Any]
    touched: list[Touched]
    # What the head's guardrails said of each unit (noteworthy ones), and, when the change
    # request changes policies/, the deployed units they deny or warn about.
    verdicts: list[Verdict] = field(default_factory=list)
    policy_touched: list[PolicyTouched] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)


class ChangeChecks:
    def __init__(
        self,
        tracked: TrackedRepo,
        store: StateStore,
        forge: Forge | None,
        *,
        renderer: Renderer,
        linter: Linter | None,
        public_url: str,
        verdicts: VerdictCache | None = None,
        today: Callable[[], date] | None = None,
        terraform_fmt: TerraformFmt | None = None,
    ) -> None:
        self.tracked = tracked
        # ``terraform fmt -check`` for the validate status (a subprocess: the caller's).
        self.terraform_fmt = terraform_fmt
        self.store = store
        self.forge = forge
        self.renderer = renderer
        self.linter = linter
        self.public_url = public_url.rstrip("/")
        self.verdicts = verdicts
        # The day guardrail exceptions are judged on: the state store's clock by default.
        self.today = today or (lambda: self.store.now().date())
        # Kept between change requests (one is checked at a time, on the loop's thread):
        # a push to a pull request redoes only what its commits changed. One memo per
        # line of builds (validation reads no recorded versions, the plan does), apart
        # from the engine's, whose last build is the tracked branch's.
        self.validation_memo = ContentMemo()
        self.plan_memo = ContentMemo()
        self.renders = RenderMemo()

    def check(self, event: ChangeRequest, superseded: Any = lambda: False) -> CheckOutcome | None:
        """Validate and plan the head; post statuses and the comment unless superseded."""
        url = f"{self.public_url}/plans/{plan_key(event)}"
        self._post(event.head_sha, wording.pending(wording.VALIDATE, "validating", url))
        self._post(event.head_sha, wording.pending(wording.PLAN, "planning", url))
        try:
            outcome = self._run(event)
        except GoldenpathError as exc:
            log.error("checks.failed", change=event.number, head=event.head_sha, error=str(exc))
            failed = CommitStatus(
                wording.VALIDATE, StatusState.ERROR, f"could not check: {exc}", url
            )
            self._post(event.head_sha, failed)
            self._post(
                event.head_sha, CommitStatus(wording.PLAN, StatusState.ERROR, "not planned", url)
            )
            return None
        if superseded():
            self._supersede(event.head_sha, url)
            return outcome
        # The plan document (as `plan --output json` prints it), plus the change request.
        document = {
            **outcome.plan,
            "errors": [p.as_dict() for p in outcome.problems if p.severity == "error"],
            "warnings": [p.as_dict() for p in outcome.problems if p.severity == "warning"],
            "blast_radius": [t.to_json() for t in outcome.touched],
            "guardrails": [v.to_json() for v in outcome.verdicts],
            "policy_blast_radius": [t.to_json() for t in outcome.policy_touched],
            "change_request": {
                "key": plan_key(event),
                "forge": event.forge,
                "repo": event.repo,
                "number": event.number,
                "head": outcome.head,
                "author": event.author,
                "title": event.title,
                "url": event.url,
            },
        }
        self.store.cache_put(PLANS, plan_key(event), document)
        errors = [str(p) for p in outcome.problems if p.severity == "error"]
        self._post(
            event.head_sha,
            CommitStatus(
                wording.VALIDATE,
                StatusState.FAILURE if errors else StatusState.SUCCESS,
                wording.validate_description(errors),
                url,
            ),
        )
        summary = outcome.plan["summary"]
        state = StatusState.FAILURE if errors else wording.plan_state(summary)
        self._post(
            event.head_sha,
            CommitStatus(wording.PLAN, state, wording.plan_description(summary), url),
        )
        if self.forge is not None:
            body = compose(
                head=outcome.head,
                problems=outcome.problems,
                plan=outcome.plan,
                touched=outcome.touched,
                plan_url=url,
                verdicts=outcome.verdicts,
                policy_touched=outcome.policy_touched,
            )
            try:
                self.forge.upsert_comment(ChangeRequestRef(event.number), COMMENT_MARKER, body)
            except ForgeError as exc:
                log.error("checks.comment_failed", change=event.number, error=str(exc))
        return outcome

    def closed(self, event: ChangeRequest) -> None:
        """The change request is merged or closed: its plan data goes."""
        self.store.cache_delete(PLANS, plan_key(event))

    def _run(self, event: ChangeRequest) -> CheckOutcome:
        self.tracked.fetch()
        if not self.tracked.has(event.head_sha):
            raise SourceError(f"commit {event.head_sha[:12]} is not in the platform repo")
        base = self.tracked.head()
        source = self.tracked.source
        head = committed_snapshot(source, event.head_sha, self.store)
        # The head's own policies judge it; a change to them by a non-admin fails access.
        guardrails = GuardrailSettings(self.today(), self.verdicts)
        validation = validate_snapshot(
            head,
            renderer=self.renderer,
            linter=self.linter,
            memo=self.validation_memo,
            guardrails=guardrails,
            terraform_fmt=self.terraform_fmt,
        )
        self.validation_memo.end_run()
        changed = self.tracked.changed_files(base, event.head_sha)
        base_files = source.files(base)
        base_specs, _ = load_specs(base_files)
        problems = list(validation.problems)
        problems += check_access(event.author, changed, base_specs, validation.build.specs)
        recorded = recorded_views(self.store, self.store.units())
        planned = plan_snapshot(
            head,
            recorded,
            renderer=self.renderer,
            memo=self.plan_memo,
            renders=self.renders,
            guardrails=guardrails,
        )
        base_versions = committed_snapshot(source, base, self.store).versions
        touched = blast_radius(head, base_versions, recorded, self.renderer)
        policy_touched = []
        if load_policies(base_files).digest != load_policies(head.files).digest:
            base_guard = guardrails.of_repo(base_files, base_specs.platform)
            policy_touched = policy_blast_radius(
                planned.plan, planned.verdicts, base_guard, recorded
            )
        verdicts = [v for _, v in sorted(planned.verdicts.items()) if v.noteworthy]
        return CheckOutcome(
            event.head_sha,
            problems,
            planned.plan.to_json(),
            touched,
            verdicts,
            policy_touched,
        )

    def _supersede(self, head: str, url: str) -> None:
        for context in (wording.VALIDATE, wording.PLAN):
            self._post(
                head, CommitStatus(context, StatusState.ERROR, "superseded by a newer push", url)
            )

    def _post(self, commit: str, status: CommitStatus) -> None:
        if self.forge is None:
            return
        try:
            self.forge.set_status(commit, status)
        except ForgeError as exc:
            log.error("checks.status_failed", commit=commit, context=status.context, error=str(exc))
