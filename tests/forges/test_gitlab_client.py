"""The GitLab client against the fake GitLab over real loopback HTTP."""

from __future__ import annotations

import httpx
import pytest

from reconciler.forges.errors import ForgeRejected
from reconciler.forges.gitlab import api_url
from reconciler.forges.model import ChangeRequestRef, CommitStatus, StatusState
from tests.fakes.clock import FakeClock
from tests.fakes.gitlab import FakeGitLab
from tests.forges.conftest import GITLAB_TOKEN, PROJECT_ID, SHA, gitlab_client

MR = ChangeRequestRef(3)


@pytest.mark.parametrize(
    ("state", "gitlab_state"),
    [
        (StatusState.PENDING, "pending"),
        (StatusState.SUCCESS, "success"),
        (StatusState.FAILURE, "failed"),
        (StatusState.ERROR, "failed"),
    ],
)
def test_status_states_map_to_gitlab_states(
    gitlab: FakeGitLab,
    http: httpx.Client,
    clock: FakeClock,
    state: StatusState,
    gitlab_state: str,
) -> None:
    status = CommitStatus("goldenpath/validate", state, "checked", "http://gp/mr/3")
    gitlab_client(gitlab, http, clock).set_status(SHA, status)
    [posted] = gitlab.statuses_for(SHA)
    assert (posted.name, posted.state, posted.description, posted.target_url) == (
        "goldenpath/validate",
        gitlab_state,
        "checked",
        "http://gp/mr/3",
    )


def test_project_path_is_sent_url_encoded_with_private_token(
    gitlab: FakeGitLab, http: httpx.Client, clock: FakeClock
) -> None:
    status = CommitStatus("goldenpath/plan", StatusState.SUCCESS, "no units")
    gitlab_client(gitlab, http, clock).set_status(SHA, status)
    [call] = gitlab.calls
    assert call.path == f"/api/v4/projects/acme%2Finfra%2Fplatform/statuses/{SHA}"
    assert call.headers["private-token"] == GITLAB_TOKEN


def test_numeric_project_id_and_bearer_token_work(
    gitlab: FakeGitLab, http: httpx.Client, clock: FakeClock
) -> None:
    client = gitlab_client(gitlab, http, clock, project=str(PROJECT_ID), bearer=True)
    client.set_status(SHA, CommitStatus("goldenpath/plan", StatusState.SUCCESS, "ok"))
    [call] = gitlab.calls
    assert call.path.startswith(f"/api/v4/projects/{PROJECT_ID}/")
    assert call.headers["authorization"] == f"Bearer {GITLAB_TOKEN}"
    assert "private-token" not in call.headers


def test_wrong_project_is_rejected(
    gitlab: FakeGitLab, http: httpx.Client, clock: FakeClock
) -> None:
    client = gitlab_client(gitlab, http, clock, project="acme/other")
    with pytest.raises(ForgeRejected, match="404 Project Not Found"):
        client.set_status(SHA, CommitStatus("goldenpath/plan", StatusState.SUCCESS, "ok"))


def test_same_state_again_counts_as_shown(
    gitlab: FakeGitLab, http: httpx.Client, clock: FakeClock
) -> None:
    client = gitlab_client(gitlab, http, clock)
    client.set_status(SHA, CommitStatus("goldenpath/plan", StatusState.PENDING, "queued"))
    client.set_status(SHA, CommitStatus("goldenpath/plan", StatusState.PENDING, "planning"))
    assert [c.status for c in gitlab.calls] == [201, 400]
    assert [s.description for s in gitlab.statuses_for(SHA)] == ["queued"]


def test_overlong_target_url_is_dropped_not_cut(
    gitlab: FakeGitLab, http: httpx.Client, clock: FakeClock
) -> None:
    url = "http://gp/" + "x" * 300
    status = CommitStatus("goldenpath/plan", StatusState.SUCCESS, "ok", url)
    gitlab_client(gitlab, http, clock).set_status(SHA, status)
    [posted] = gitlab.statuses_for(SHA)
    assert posted.target_url is None


def test_429_waits_for_retry_after_then_posts(
    gitlab: FakeGitLab, http: httpx.Client, clock: FakeClock
) -> None:
    gitlab.rate_limit_next(retry_after=45)
    status = CommitStatus("goldenpath/apply", StatusState.SUCCESS, "3 units applied")
    gitlab_client(gitlab, http, clock).set_status(SHA, status)
    assert clock.sleeps[0] == 45.0
    assert [c.status for c in gitlab.calls] == [429, 201]
    assert len(gitlab.statuses_for(SHA)) == 1


def test_502_is_retried_and_the_status_arrives_once(
    gitlab: FakeGitLab, http: httpx.Client, clock: FakeClock
) -> None:
    gitlab.fail_next(1, status=502)
    status = CommitStatus("goldenpath/apply", StatusState.SUCCESS, "3 units applied")
    gitlab_client(gitlab, http, clock).set_status(SHA, status)
    assert len(gitlab.statuses_for(SHA)) == 1


def test_note_is_created_then_updated_in_place(
    gitlab: FakeGitLab, http: httpx.Client, clock: FakeClock
) -> None:
    client = gitlab_client(gitlab, http, clock)
    first = client.upsert_comment(MR, "plan", "v1")
    second = client.upsert_comment(MR, "plan", "v2")
    [note] = gitlab.notes_on(3)
    assert first.id == second.id == note.id
    assert (note.body, note.edits) == ("<!-- goldenpath:plan -->\nv2", 1)
    assert [c.method for c in gitlab.calls] == ["GET", "POST", "PUT"]


def test_system_notes_are_never_taken_for_ours(
    gitlab: FakeGitLab, http: httpx.Client, clock: FakeClock
) -> None:
    gitlab.add_system_note(3, "<!-- goldenpath:plan --> added 1 commit")
    gitlab_client(gitlab, http, clock).upsert_comment(MR, "plan", "table")
    assert [n.body for n in gitlab.notes_on(3)] == ["<!-- goldenpath:plan -->\ntable"]


def test_restarted_client_edits_the_existing_note(
    gitlab: FakeGitLab, http: httpx.Client, clock: FakeClock
) -> None:
    gitlab_client(gitlab, http, clock).upsert_comment(MR, "plan", "v1")
    gitlab_client(gitlab, http, clock).upsert_comment(MR, "plan", "v2")
    [note] = gitlab.notes_on(3)
    assert note.body.endswith("v2")


def test_two_markers_keep_two_notes(
    gitlab: FakeGitLab, http: httpx.Client, clock: FakeClock
) -> None:
    client = gitlab_client(gitlab, http, clock)
    client.upsert_comment(MR, "plan", "plan table")
    client.upsert_comment(MR, "blast-radius", "instances")
    assert len(gitlab.notes_on(3)) == 2


def test_changed_files_include_both_sides_of_a_rename(
    gitlab: FakeGitLab, http: httpx.Client, clock: FakeClock
) -> None:
    gitlab.merge_requests[3].append(
        {"old_path": "services/old.yaml", "new_path": "services/new.yaml"}
    )
    files = gitlab_client(gitlab, http, clock).changed_files(MR)
    assert files == ["services/a.yaml", "services/new.yaml", "services/old.yaml"]


def test_api_url_defaults_to_gitlab_com() -> None:
    assert api_url(None) == "https://gitlab.com/api/v4"
    assert api_url("https://git.example.com/api/v4/") == "https://git.example.com/api/v4"
