"""The GitHub client against the fake GitHub over real loopback HTTP."""

from __future__ import annotations

import httpx
import pytest

from reconciler.forges.client import ForgeClient
from reconciler.forges.errors import ForgeRejected, ForgeUnavailable
from reconciler.forges.github import COMMENT_LIMIT, GitHubToken, api_url, github_forge
from reconciler.forges.model import ChangeRequestRef, CommitStatus, StatusState
from tests.fakes.clock import FakeClock
from tests.fakes.github import Comment, FakeGitHub
from tests.fakes.server import DROP
from tests.forges.conftest import POLICY, REPO, SHA, TOKEN, github_client

PR = ChangeRequestRef(7)
PLAN_OK = CommitStatus("goldenpath/plan", StatusState.SUCCESS, "2 to create", "http://gp/plan/7")


def github_forge_at(url: str, http: httpx.Client, clock: FakeClock) -> ForgeClient:
    return github_forge(
        REPO, GitHubToken(TOKEN, "t"), http=http, clock=clock, policy=POLICY, url=url
    )


def posts(fake: FakeGitHub, path_part: str) -> list[int]:
    return [c.status for c in fake.calls if c.method == "POST" and path_part in c.path]


def test_status_is_created_on_the_commit(
    github: FakeGitHub, http: httpx.Client, clock: FakeClock
) -> None:
    github_client(github, http, clock).set_status(SHA, PLAN_OK)
    [status] = github.statuses_for(SHA)
    assert (status.context, status.state, status.description, status.target_url) == (
        "goldenpath/plan",
        "success",
        "2 to create",
        "http://gp/plan/7",
    )
    [call] = github.calls
    assert call.headers["authorization"] == f"Bearer {TOKEN}"
    assert call.headers["x-github-api-version"] == "2022-11-28"


def test_identical_status_is_posted_once(
    github: FakeGitHub, http: httpx.Client, clock: FakeClock
) -> None:
    client = github_client(github, http, clock)
    client.set_status(SHA, PLAN_OK)
    client.set_status(SHA, PLAN_OK)
    assert len(github.statuses_for(SHA)) == 1


def test_changed_status_is_posted_again(
    github: FakeGitHub, http: httpx.Client, clock: FakeClock
) -> None:
    client = github_client(github, http, clock)
    pending = CommitStatus("goldenpath/plan", StatusState.PENDING, "planning")
    for status in (pending, PLAN_OK, pending):
        client.set_status(SHA, status)
    assert [s.state for s in github.statuses_for(SHA)] == ["pending", "success", "pending"]


def test_long_description_is_cut_to_140_with_ellipsis(
    github: FakeGitHub, http: httpx.Client, clock: FakeClock
) -> None:
    status = CommitStatus("goldenpath/validate", StatusState.FAILURE, "problem " * 40)
    github_client(github, http, clock).set_status(SHA, status)
    [posted] = github.statuses_for(SHA)
    assert posted.description is not None
    assert len(posted.description) == 140
    assert posted.description.endswith("…")


def test_502_is_retried_and_the_status_arrives_once(
    github: FakeGitHub, http: httpx.Client, clock: FakeClock
) -> None:
    github.fail_next(2, status=502)
    github_client(github, http, clock).set_status(SHA, PLAN_OK)
    assert len(github.statuses_for(SHA)) == 1
    assert posts(github, "/statuses/") == [502, 502, 201]
    assert len(clock.sleeps) == 2
    assert clock.sleeps[1] > clock.sleeps[0]  # backoff grows


def test_dropped_connection_is_retried(
    github: FakeGitHub, http: httpx.Client, clock: FakeClock
) -> None:
    github.fail_next(1, status=DROP)
    github_client(github, http, clock).set_status(SHA, PLAN_OK)
    assert len(github.statuses_for(SHA)) == 1


def test_primary_rate_limit_waits_until_reset_then_posts(
    github: FakeGitHub, http: httpx.Client, clock: FakeClock
) -> None:
    github.rate_limit_next(reset_in=120)
    started = clock.time()
    github_client(github, http, clock).set_status(SHA, PLAN_OK)
    assert len(github.statuses_for(SHA)) == 1
    assert clock.time() - started >= 120
    assert posts(github, "/statuses/") == [403, 201]


def test_secondary_rate_limit_honours_retry_after(
    github: FakeGitHub, http: httpx.Client, clock: FakeClock
) -> None:
    github.rate_limit_next(reset_in=30, secondary=True)
    github_client(github, http, clock).set_status(SHA, PLAN_OK)
    assert clock.sleeps == [30.0]
    assert len(github.statuses_for(SHA)) == 1


def test_rate_limit_too_long_to_wait_raises_unavailable_and_a_retry_posts_it(
    github: FakeGitHub, http: httpx.Client, clock: FakeClock
) -> None:
    github.rate_limit_next(reset_in=int(POLICY.max_rate_limit_wait_s) + 600)
    client = github_client(github, http, clock)
    with pytest.raises(ForgeUnavailable) as caught:
        client.set_status(SHA, PLAN_OK)
    assert caught.value.delay > POLICY.max_rate_limit_wait_s
    assert github.statuses_for(SHA) == []
    clock.advance(caught.value.delay)
    client.set_status(SHA, PLAN_OK)  # not taken for a duplicate: it never arrived
    assert len(github.statuses_for(SHA)) == 1


def test_spent_quota_makes_the_next_request_wait_for_the_reset(
    github: FakeGitHub, http: httpx.Client, clock: FakeClock
) -> None:
    reset = int(clock.time()) + 300
    github.fail_next(
        1,
        201,
        {"id": 1},
        {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)},
        after_handling=True,
    )
    client = github_client(github, http, clock)
    client.set_status(SHA, PLAN_OK)
    client.set_status(SHA, CommitStatus("goldenpath/validate", StatusState.SUCCESS, "valid"))
    assert clock.time() >= reset
    assert len(github.statuses_for(SHA)) == 2


def test_server_errors_past_the_budget_raise_unavailable(
    github: FakeGitHub, http: httpx.Client, clock: FakeClock
) -> None:
    github.fail_next(POLICY.attempts, status=503)
    with pytest.raises(ForgeUnavailable, match="HTTP 503 after 4 tries"):
        github_client(github, http, clock).set_status(SHA, PLAN_OK)


def test_bad_token_is_rejected_without_retrying(
    github: FakeGitHub, http: httpx.Client, clock: FakeClock
) -> None:
    with pytest.raises(ForgeRejected, match="401 Bad credentials") as caught:
        github_client(github, http, clock, token="wrong").set_status(SHA, PLAN_OK)
    assert caught.value.status == 401
    assert len(github.calls) == 1
    assert clock.sleeps == []


def test_comment_is_created_then_updated_in_place(
    github: FakeGitHub, http: httpx.Client, clock: FakeClock
) -> None:
    client = github_client(github, http, clock)
    first = client.upsert_comment(PR, "plan", "| unit | action |\n| a | create |")
    second = client.upsert_comment(PR, "plan", "| unit | action |\n| a | update |")
    [comment] = github.comments_on(7)
    assert first == second
    assert first.id == comment.id
    assert comment.edits == 1
    assert comment.body == "<!-- goldenpath:plan -->\n| unit | action |\n| a | update |"


def test_unchanged_comment_is_not_sent_again(
    github: FakeGitHub, http: httpx.Client, clock: FakeClock
) -> None:
    client = github_client(github, http, clock)
    client.upsert_comment(PR, "plan", "same")
    calls = len(github.calls)
    client.upsert_comment(PR, "plan", "same")
    assert len(github.calls) == calls


def test_restarted_client_finds_its_comment_by_marker_on_a_later_page(
    github: FakeGitHub, http: httpx.Client, clock: FakeClock
) -> None:
    for n in range(150):  # other people's comments first, quoting our marker mid-text
        github.comments[n] = Comment(n, 7, f"lgtm <!-- goldenpath:plan --> {n}")
    github_client(github, http, clock).upsert_comment(PR, "plan", "before restart")
    github.calls.clear()
    github_client(github, http, clock).upsert_comment(PR, "plan", "after restart")
    ours = [c for c in github.comments_on(7) if c.body.startswith("<!-- goldenpath:plan")]
    assert len(ours) == 1
    assert ours[0].body.endswith("after restart")
    assert [(c.method, c.query.get("page")) for c in github.calls] == [
        ("GET", "1"),
        ("GET", "2"),
        ("PATCH", None),
    ]


def test_comment_deleted_by_a_user_is_created_again(
    github: FakeGitHub, http: httpx.Client, clock: FakeClock
) -> None:
    client = github_client(github, http, clock)
    ref = client.upsert_comment(PR, "plan", "one")
    del github.comments[ref.id]
    again = client.upsert_comment(PR, "plan", "two")
    assert again.id != ref.id
    assert [c.body for c in github.comments_on(7)] == ["<!-- goldenpath:plan -->\ntwo"]


def test_comment_created_despite_a_502_is_not_created_twice(
    github: FakeGitHub, http: httpx.Client, clock: FakeClock
) -> None:
    # The forge creates the comment, then answers 502: the client must look, not resend.
    github.fail_next(1, status=502, after_handling=True, method="POST", path_contains="/comments")
    ref = github_client(github, http, clock).upsert_comment(PR, "plan", "body")
    [comment] = github.comments_on(7)
    assert ref.id == comment.id
    assert posts(github, "/comments") == [502]


def test_comment_over_githubs_limit_is_truncated_with_a_note(
    github: FakeGitHub, http: httpx.Client, clock: FakeClock
) -> None:
    rows = "\n".join(f"| service/s{i}/prod | update |" for i in range(5000))
    github_client(github, http, clock).upsert_comment(PR, "plan", rows)
    [comment] = github.comments_on(7)
    assert len(comment.body) <= COMMENT_LIMIT
    assert "**Truncated:**" in comment.body
    assert "| service/s0/prod | update |" in comment.body


def test_comment_on_unknown_pull_request_is_rejected(
    github: FakeGitHub, http: httpx.Client, clock: FakeClock
) -> None:
    with pytest.raises(ForgeRejected, match="404"):
        github_client(github, http, clock).upsert_comment(ChangeRequestRef(99), "plan", "x")


def test_changed_files_cover_every_page_and_renames(
    github: FakeGitHub, http: httpx.Client, clock: FakeClock
) -> None:
    github.open_pull(8, files=[f"services/s{i}.yaml" for i in range(230)])
    github.pulls[8].append(
        {"filename": "services/new.yaml", "previous_filename": "services/old.yaml"}
    )
    files = github_client(github, http, clock).changed_files(ChangeRequestRef(8))
    assert len(files) == 232
    assert files[-2:] == ["services/new.yaml", "services/old.yaml"]


def test_enterprise_api_under_a_path_prefix(http: httpx.Client, clock: FakeClock) -> None:
    with FakeGitHub(token=TOKEN, repo=REPO, clock=clock.time, prefix="/api/v3") as ghe:
        github_client(ghe, http, clock).set_status(SHA, PLAN_OK)
        assert ghe.calls[0].path == f"/api/v3/repos/{REPO}/statuses/{SHA}"
        assert len(ghe.statuses_for(SHA)) == 1


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, "https://api.github.com"),
        ("https://ghe.example.com/api/v3/", "https://ghe.example.com/api/v3"),
    ],
)
def test_api_url_defaults_to_github_com_and_takes_enterprise_urls(
    given: str | None, expected: str
) -> None:
    assert api_url(given) == expected


@pytest.mark.parametrize("landed", [True, False])
def test_comment_survives_a_dropped_connection_exactly_once(
    github: FakeGitHub, http: httpx.Client, clock: FakeClock, landed: bool
) -> None:
    github.fail_next(1, DROP, after_handling=landed, method="POST", path_contains="/comments")
    github_client(github, http, clock).upsert_comment(PR, "plan", "body")
    assert [c.body for c in github.comments_on(7)] == ["<!-- goldenpath:plan -->\nbody"]


def test_unreachable_forge_raises_unavailable_after_the_retries(
    http: httpx.Client, clock: FakeClock
) -> None:
    with FakeGitHub(token=TOKEN, repo=REPO) as gone:
        url = gone.url
    with pytest.raises(ForgeUnavailable, match="ConnectError after 4 tries") as caught:
        github_forge_at(url, http, clock).set_status(SHA, PLAN_OK)
    assert caught.value.delay > 0
    assert len(clock.sleeps) == POLICY.attempts - 1
