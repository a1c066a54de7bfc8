"""What goes wrong around update pull requests is logged clearly and harms nothing: a
spec that cannot be rewritten, forge errors, a refused push, a branch someone took over,
no forge at all."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from reconciler.state import StateStore
from reconciler.updates import Author, PushRejected, UpdateBranch
from tests.updates.world import update_world

ORDERS = "goldenpath/update/orders"


def test_a_spec_that_cannot_be_rewritten_is_logged_and_the_others_go_on(
    tmp_path: Path, sqlite_store: StateStore
) -> None:
    with update_world(tmp_path, sqlite_store) as world:
        spec = world.work.root / "services/web.yaml"
        spec.write_text(spec.read_text().replace('version: "1"}', 'version: &v "1"}'))
        world.work.commit("web: an anchor")
        world.work.git("push", "-q", "origin", "main")
        world.bump("VisibilityTimeout: 60")
        with capture_logs() as logs:
            outcomes = world.offer()
            world.offer()  # said once, not on every pass
        assert [o.service for o in outcomes] == ["orders"]
        refused = [e for e in logs if e["event"] == "update_pr.cannot_rewrite"]
        assert len(refused) == 1
        assert refused[0]["service"] == "web"
        assert refused[0]["file"] == "services/web.yaml"
        assert refused[0]["field"] == "spec.template.version"
        assert "a YAML anchor" in refused[0]["reason"]
        assert refused[0]["log_level"] == "warning"


def test_forge_errors_open_nothing_twice_and_are_tried_again(
    tmp_path: Path, sqlite_store: StateStore
) -> None:
    with update_world(tmp_path, sqlite_store) as world:
        world.bump("VisibilityTimeout: 60")
        world.fake.fail_next(20, 502)
        with capture_logs() as logs:
            assert world.offer() == []
        failed = [e for e in logs if e["event"] == "update_pr.failed"]
        assert [e["service"] for e in failed] == ["orders", "web"]
        assert failed[0]["error_type"] == "ForgeUnavailable"
        assert failed[0]["retry_in_s"] >= world.updates.settings.retry_after_s
        world.fake._faults.clear()  # the forge is back
        assert world.updates.take_due() is None  # not before the retry is due
        later = time.monotonic() + world.updates.settings.retry_after_s + 1
        retried = world.updates.take_due(now=later)
        assert retried is not None and [p.service for p in retried] == ["orders", "web"]
        outcomes = world.updates.publish_all(retried)
        assert [o.action for o in outcomes] == ["opened", "opened"]
        assert len(world.fake.pull_requests) == 2  # type: ignore[union-attr]


def test_a_create_that_may_have_landed_is_not_repeated(
    tmp_path: Path, sqlite_store: StateStore
) -> None:
    with update_world(tmp_path, sqlite_store) as world:
        world.bump("VisibilityTimeout: 60")
        # GitHub opens the pull request, then the answer is lost.
        world.fake.fail_next(1, 502, after_handling=True, method="POST", path_contains="/pulls")
        outcomes = world.offer()
        assert [o.action for o in outcomes] == ["opened", "opened"]
        assert len(world.fake.open_pulls_from(ORDERS)) == 1  # type: ignore[union-attr]


def test_a_rate_limited_forge_is_left_for_later(tmp_path: Path, sqlite_store: StateStore) -> None:
    with update_world(tmp_path, sqlite_store) as world:
        world.bump("VisibilityTimeout: 60")
        world.fake.rate_limit_next(count=10, reset_in=7200)  # type: ignore[call-arg]
        with capture_logs() as logs:
            assert world.offer() == []
        failed = [e for e in logs if e["event"] == "update_pr.failed"]
        assert failed and failed[-1]["retry_in_s"] >= 7200
        assert world.fake.pull_requests == {}  # type: ignore[union-attr]


def test_a_refused_push_is_logged_and_opens_no_pull_request(
    tmp_path: Path, sqlite_store: StateStore
) -> None:
    with update_world(tmp_path, sqlite_store) as world:
        hook = world.bare / "hooks" / "pre-receive"
        hook.write_text(
            "#!/bin/sh\nwhile read old new ref; do case $ref in refs/heads/goldenpath/*)\n"
            "echo 'update branches are protected' >&2; exit 1;; esac; done\n"
        )
        hook.chmod(0o755)
        world.bump("VisibilityTimeout: 60")
        with capture_logs() as logs:
            assert world.offer() == []
        failed = [e for e in logs if e["event"] == "update_pr.failed"]
        assert failed[0]["error_type"] == "PushRejected"
        assert "update branches are protected" in failed[0]["error"]
        assert world.fake.pull_requests == {}  # type: ignore[union-attr]


def test_a_branch_someone_else_committed_on_is_left_alone(
    tmp_path: Path, sqlite_store: StateStore
) -> None:
    with update_world(tmp_path, sqlite_store) as world:
        world.bump("VisibilityTimeout: 60")
        world.offer()
        world.work.git("fetch", "-q", "origin", ORDERS)
        world.work.git("checkout", "-q", "-b", "takeover", "FETCH_HEAD")
        world.work.write(
            "services/orders.yaml",
            "# gregg's own edit\n" + (world.work.root / "services/orders.yaml").read_text(),
        )
        world.work.commit("orders: my way")
        world.work.git("push", "-q", "origin", f"HEAD:refs/heads/{ORDERS}")
        taken = world.remote_tip(ORDERS)
        world.work.git("checkout", "-q", "main")
        world.bump("MessageRetentionPeriod: 600")
        with capture_logs() as logs:
            outcomes = world.offer()
        assert [o.service for o in outcomes] == ["web"]
        failed = [e for e in logs if e["event"] == "update_pr.failed"]
        assert failed[0]["error_type"] == "BranchEdited"
        assert "anna@pizza-ananas.example" in failed[0]["error"]
        assert world.remote_tip(ORDERS) == taken


@pytest.mark.parametrize(
    ("missing", "reason"), [("forge", "no forge configured"), ("branch", "no remote to push to")]
)
def test_with_no_forge_what_would_be_offered_is_logged_once(
    tmp_path: Path, sqlite_store: StateStore, missing: str, reason: str
) -> None:
    with update_world(tmp_path, sqlite_store) as world:
        setattr(world.updates, missing, None)
        world.bump("VisibilityTimeout: 60")
        with capture_logs() as logs:
            world.consider()
            world.consider()
        said = [e for e in logs if e["event"] == "update_pr.would_offer"]
        assert [(e["service"], e["to_versions"]) for e in said] == [
            ("orders", ["1.1"]),
            ("web", ["1.1"]),
        ]
        assert said[0]["reason"] == reason
        assert world.updates.take_due() is None  # nothing for the publishing thread
        assert world.fake.calls == []


def test_the_tracked_branch_is_never_pushed(tmp_path: Path, sqlite_store: StateStore) -> None:
    with update_world(tmp_path, sqlite_store) as world:
        branch = UpdateBranch(
            str(world.tracked.source.repo.git_dir), "origin", "main", Author("G", "g@x"), 10.0
        )
        head = world.remote_tip("main")
        with pytest.raises(PushRejected, match="tracked branch"):
            branch.publish("main", head, "services/orders.yaml", b"x", "m")
        assert world.remote_tip("main") == head


def test_a_refused_request_is_not_repeated_until_a_new_head(
    tmp_path: Path, sqlite_store: StateStore
) -> None:
    with update_world(tmp_path, sqlite_store) as world:
        world.bump("VisibilityTimeout: 60")
        message = {"message": "Resource not accessible by integration"}
        world.fake.fail_next(1, 403, message, method="POST", path_contains="/pulls")
        with capture_logs() as logs:
            outcomes = world.offer()
        assert [o.service for o in outcomes] == ["web"]  # orders' refusal stopped only orders
        failed = [e for e in logs if e["event"] == "update_pr.failed"]
        assert failed[0]["error_type"] == "ForgeRejected"
        assert "403 Resource not accessible by integration" in failed[0]["error"]
        assert failed[0]["retry"] == "on a new head"
        assert world.updates.take_due(now=time.monotonic() + 86_400) is None
        # The next head (here: the same, considered again) offers orders anew.
        assert {o.service: o.action for o in world.offer()}["orders"] == "opened"


def test_a_pull_request_gone_from_the_forge_is_offered_afresh(
    tmp_path: Path, sqlite_store: StateStore
) -> None:
    with update_world(tmp_path, sqlite_store) as world:
        world.bump("VisibilityTimeout: 60")
        world.offer()
        github = world.fake
        number = github.open_pulls_from(ORDERS)[0].number  # type: ignore[union-attr]
        del github.pull_requests[number]  # type: ignore[union-attr]
        world.bump("MessageRetentionPeriod: 600")
        with capture_logs() as logs:
            outcomes = {o.service: o.action for o in world.offer()}
        assert outcomes["orders"] == "opened"
        assert [e["number"] for e in logs if e["event"] == "update_pr.gone"] == [number]
