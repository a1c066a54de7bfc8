"""Update pull requests: the GitOps form of Proton's "update to recommended version".

When the tracked head leaves services on manual minor updates behind their major's
newest minor, each such service gets one pull request (GitHub) or merge request (GitLab)
on the platform repo, from a branch of its own (``goldenpath/update/<service>``), that
moves its version fields and shows the blast radius; its team is asked to review.
Renovate and Dependabot are the models:

* the reconciler's thread only *considers* (pure work: which services, which edits, the
  rendered blast radius), a time-boxed slice between its other work, and hands the
  proposals over; a thread of its own publishes them (git push, forge calls), so a slow
  or failing forge never holds the reconciler up;
* a pull request already open is updated in place (branch force-pushed when its content
  changes, title and body edited), never opened twice: it is found by the number
  remembered in the state store, else by asking the forge for open ones from the branch;
* a pull request closed without merging declines its versions: the service is offered
  again only for a newer one. The outcome is learned from the pull/merge request webhook
  when it comes, and otherwise read from the forge before anything is offered again (a
  webhook can be lost; the forge's answer is the truth);
* with no forge configured, what would have been offered is logged once.

Each publish returns an :class:`UpdateOutcome` and logs it (``update_pr.opened``,
``update_pr.updated``); ``on_outcome`` receives every outcome, for notifications.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import structlog

from reconciler.desired.build import Build
from reconciler.errors import GoldenpathError, Waiting
from reconciler.events import ChangeAction, ChangeRequest
from reconciler.forges import (
    ChangeRequestDraft,
    ChangeRequests,
    ChangeRequestState,
    ForgeRejected,
)
from reconciler.plan.model import Recorded
from reconciler.render import Renderer
from reconciler.source.snapshot import Snapshot
from reconciler.state import OfferState, StateStore, UpdateOffer
from reconciler.updates.branch import BranchEdited, UpdateBranch
from reconciler.updates.outcome import UpdateOutcome, digest, newer
from reconciler.updates.outdated import Outdated, outdated_services
from reconciler.updates.proposals import Proposal, propose
from reconciler.updates.rewrite import RewriteRefused
from reconciler.updates.settings import UpdateSettings

log = structlog.get_logger(__name__)
NOT_FOUND = 404
WAKE_S = 1.0  # the publishing thread looks for due retries at least this often
SAID_REMEMBERED = 10_000  # (service, versions) already logged as refused or declined


@dataclass
class _Todo:
    """The proposals of one head still to be made, and those made."""

    head: Snapshot
    build: Build
    recorded: Mapping[str, Recorded]
    left: deque[Outdated]
    made: list[Proposal] = field(default_factory=list)


@dataclass
class UpdatePullRequests:
    store: StateStore
    forge: ChangeRequests | None
    branch: UpdateBranch | None  # None: no remote to push to
    renderer: Renderer
    base: str  # the tracked branch
    settings: UpdateSettings = field(default_factory=UpdateSettings)
    on_outcome: Callable[[UpdateOutcome], None] | None = None
    _proposals: dict[tuple[str, str, tuple[tuple[str, str], ...]], Proposal] = field(
        default_factory=dict, repr=False
    )
    _said: set[tuple[str, str]] = field(default_factory=set, repr=False)
    _pending: list[Proposal] | None = field(default=None, repr=False)
    _retry_at: float | None = field(default=None, repr=False)
    _wake: threading.Condition = field(default_factory=threading.Condition, repr=False)
    _todo: _Todo | None = field(default=None, repr=False)

    # On the reconciler's thread.

    def consider(
        self, head: Snapshot, build: Build, recorded: Mapping[str, Recorded]
    ) -> list[Proposal] | None:
        """Start on the proposals for ``head`` (built as ``build``): which services are
        behind is known at once; their proposals are made by ``advance``, a slice at a
        time. The proposals when all are made within this call's slice, else None."""
        if not self.settings.enabled:
            return None
        self._todo = _Todo(head, build, recorded, deque(outdated_services(build)))
        return self.advance()

    @property
    def considering(self) -> bool:
        """True while proposals of the last head considered are still to be made."""
        return self._todo is not None

    def advance(self, budget_s: float | None = None) -> list[Proposal] | None:
        """Make proposals for at most ``budget_s`` (``consider_budget_s``; rewriting,
        building and rendering cost about 0.15 s a service on a big repo), so that the
        reconciler's loop stays responsive. Once all are made they are handed to the
        publishing thread (or, with no forge, logged) and returned; None before."""
        todo = self._todo
        if todo is None:
            return None
        budget = self.settings.consider_budget_s if budget_s is None else budget_s
        started, first = time.monotonic(), True
        while todo.left and (first or time.monotonic() - started < budget):
            first = False  # at least one a slice, however short the budget
            proposal = self._proposal(todo.left.popleft(), todo.head, todo.build, todo.recorded)
            if proposal is not None:
                todo.made.append(proposal)
        if todo.left:
            return None
        self._todo = None
        proposals = todo.made
        if self.forge is None or self.branch is None:
            for p in proposals:
                self._say_once(
                    "update_pr.would_offer",
                    p.outdated,
                    reason="no forge configured" if self.forge is None else "no remote to push to",
                    file=p.path,
                    branch=self.settings.branch(p.service),
                )
            return proposals
        with self._wake:
            self._pending = proposals
            self._retry_at = None
            self._wake.notify_all()
        return proposals

    def closed(self, event: ChangeRequest) -> UpdateOffer | None:
        """A change request was merged or closed: if it is an update pull request, its
        offer ended so."""
        if not event.action.ends_review or not event.head_ref.startswith(
            self.settings.branch_prefix
        ):
            return None
        state: OfferState = "merged" if event.action == ChangeAction.MERGED else "closed"
        ended = self.store.end_update_offer(event.head_ref, event.number, state)
        if ended is not None:
            log.info(
                f"update_pr.{state}",
                service=ended.service,
                number=event.number,
                versions=sorted(set(ended.targets.values())),
                source="webhook",
            )
        return ended

    # On the updates' thread.

    def run(self, stop: threading.Event) -> None:
        """Publish what ``consider`` hands over, until ``stop``; failures are tried again."""
        while not stop.is_set():
            proposals = self.take_due()
            if proposals is None:
                with self._wake:
                    self._wake.wait(timeout=WAKE_S)
                continue
            try:
                self.publish_all(proposals)
            except Exception:  # never let the thread die: the next head tries again
                log.exception("update_pr.unexpected_error")

    def take_due(self, now: float | None = None) -> list[Proposal] | None:
        """The proposals waiting to be published, once they are due (a failed pass waits
        ``retry_after_s`` or what the forge said); None when none are."""
        now = time.monotonic() if now is None else now
        with self._wake:
            if self._pending is None or (self._retry_at is not None and now < self._retry_at):
                return None
            proposals, self._pending, self._retry_at = self._pending, None, None
            return proposals

    def publish_all(self, proposals: Sequence[Proposal]) -> list[UpdateOutcome]:
        """Publish each proposal in turn; what fails is handed back for a later pass."""
        started = time.monotonic()
        outcomes: list[UpdateOutcome] = []
        failed: list[Proposal] = []
        delay = self.settings.retry_after_s
        for at, proposal in enumerate(proposals):
            if time.monotonic() - started > self.settings.pass_budget_s:
                log.warning("update_pr.pass_over_budget", left=len(proposals) - at)
                failed += proposals[at:]
                delay = 0.0
                break
            try:
                outcomes.append(self.publish(proposal))
            except (ForgeRejected, BranchEdited) as exc:
                # The same request would fail again: a new head (a new offer) tries anew.
                log.error(
                    "update_pr.failed",
                    service=proposal.service,
                    error=str(exc),
                    error_type=type(exc).__name__,
                    retry="on a new head",
                )
            except GoldenpathError as exc:  # unreachable forge, rate limit, refused push
                failed.append(proposal)
                if isinstance(exc, Waiting):
                    delay = max(delay, exc.delay)
                log.error(
                    "update_pr.failed",
                    service=proposal.service,
                    error=str(exc),
                    error_type=type(exc).__name__,
                    retry_in_s=round(delay, 1),
                )
        if failed:
            with self._wake:
                if self._pending is None:  # a newer head's proposals replace these
                    self._pending = failed
                    self._retry_at = time.monotonic() + delay
        return outcomes

    def publish(self, proposal: Proposal) -> UpdateOutcome:
        """Open or update the service's pull request (see the module docstring)."""
        assert self.forge is not None and self.branch is not None
        outdated, branch = proposal.outdated, self.settings.branch(proposal.service)
        offer = self._settled(self.store.update_offer(proposal.service))
        targets = outdated.targets
        if offer is not None and offer.state == "closed" and not newer(targets, offer.targets):
            self._say_once("update_pr.declined", outdated, number=offer.number, url=offer.url)
            return self._outcome(proposal, "declined", offer)
        if offer is not None and offer.state == "merged" and dict(offer.targets) == targets:
            return self._outcome(proposal, "merged", offer)  # the head has yet to catch up
        message = f"{proposal.title}\n\nMoves {', '.join(sorted(targets))}.\n"
        pushed = self.branch.publish(
            branch, proposal.head, proposal.path, proposal.content, message
        )
        number, url = (offer.number, offer.url) if offer and offer.state == "open" else (None, "")
        if number is None:
            found = self.forge.open_change_requests(branch, proposal.base)
            if found:
                number, url = found[0].number, found[0].url
                offer = None  # adopted: its title and body are unknown
        if number is None:
            draft = ChangeRequestDraft(branch, proposal.base, proposal.title, proposal.body)
            made = self.forge.create_change_request(draft)
            number, url, action = made.number, made.url, "opened"
            self._request_review(proposal, number)
        elif offer is None or offer.digest != proposal.digest:
            self.forge.edit_change_request(number, proposal.title, proposal.body)
            action = "updated"
        else:
            action = "updated" if pushed else "unchanged"
        now = self.store.now()
        same = offer is not None and offer.number == number and offer.state == "open"
        self.store.save_update_offer(
            UpdateOffer(
                service=proposal.service,
                template=outdated.template,
                targets=targets,
                branch=branch,
                number=number,
                url=url,
                state="open",
                digest=proposal.digest,
                offered_at=offer.offered_at if same and offer is not None else now,
                updated_at=now,
            )
        )
        outcome = UpdateOutcome(
            proposal.service, action, outdated.template, outdated.moves, number, url, outdated.team
        )
        say = log.debug if action == "unchanged" else log.info
        say(
            f"update_pr.{action}",
            service=proposal.service,
            template=outdated.template,
            from_versions=sorted({a for a, _ in outdated.moves.values()}),
            to_versions=outdated.to_versions,
            number=number,
            url=url,
            team=outdated.team,
        )
        if self.on_outcome is not None and action != "unchanged":
            self.on_outcome(outcome)
        return outcome

    def _settled(self, offer: UpdateOffer | None) -> UpdateOffer | None:
        """The offer, with the forge's word on an open one (a webhook may have been lost)."""
        if offer is None or offer.state != "open" or offer.number is None:
            return offer
        assert self.forge is not None
        try:
            now = self.forge.change_request(offer.number)
        except ForgeRejected as exc:
            if exc.status != NOT_FOUND:
                raise
            log.warning("update_pr.gone", service=offer.service, number=offer.number)
            return None  # deleted, or the repository moved: offer afresh
        if now.state == ChangeRequestState.OPEN:
            return offer
        state: OfferState = "merged" if now.state == ChangeRequestState.MERGED else "closed"
        ended = offer.ended(state, self.store.now())
        self.store.save_update_offer(ended)
        log.info(f"update_pr.{state}", service=offer.service, number=offer.number, source="forge")
        return ended

    def _request_review(self, proposal: Proposal, number: int) -> None:
        team = proposal.outdated.team
        if not team:
            log.info("update_pr.no_team", service=proposal.service, number=number)
            return
        assert self.forge is not None
        try:
            self.forge.request_review(number, team, proposal.members)
        except ForgeRejected as exc:  # the pull request stands; people can still find it
            log.warning(
                "update_pr.review_not_requested",
                service=proposal.service,
                team=team,
                error=str(exc),
            )

    def _proposal(
        self, outdated: Outdated, head: Snapshot, build: Build, recorded: Mapping[str, Recorded]
    ) -> Proposal | None:
        text = head.files.get(outdated.file, b"")
        key = (outdated.service, digest(text), tuple(sorted(outdated.targets.items())))
        known = self._proposals.get(key)
        if known is not None:
            return replace(known, head=head.revision)
        try:
            proposal = propose(outdated, head, build, recorded, self.renderer, self.base)
        except RewriteRefused as exc:
            self._say_once(
                "update_pr.cannot_rewrite",
                outdated,
                file=exc.file,
                field=exc.field,
                reason=exc.reason,
                level="warning",
            )
            return None
        self._proposals = {k: v for k, v in self._proposals.items() if k[0] != outdated.service}
        self._proposals[key] = proposal
        return proposal

    def _say_once(self, event: str, outdated: Outdated, level: str = "info", **fields: Any) -> None:
        key = (
            f"{event}:{outdated.service}",
            ",".join(f"{u}={v}" for u, v in sorted(outdated.targets.items())),
        )
        if key in self._said:
            return
        if len(self._said) >= SAID_REMEMBERED:
            self._said.clear()
        self._said.add(key)
        getattr(log, level)(
            event,
            service=outdated.service,
            template=outdated.template,
            to_versions=outdated.to_versions,
            units=sorted(outdated.moves),
            **fields,
        )

    def _outcome(self, proposal: Proposal, action: str, offer: UpdateOffer) -> UpdateOutcome:
        o = proposal.outdated
        return UpdateOutcome(o.service, action, o.template, o.moves, offer.number, offer.url)
