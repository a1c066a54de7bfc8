"""Tokens never reach a log line: the clients never log them, and redaction backs that up."""

from __future__ import annotations

import io
from collections.abc import MutableMapping, Sequence
from typing import Any

import httpx
import pytest
import structlog
from structlog.testing import capture_logs

from reconciler.forges.errors import ForgeRejected, ForgeUnavailable
from reconciler.forges.github import GitHubToken
from reconciler.forges.gitlab import GitLabToken
from reconciler.forges.model import ChangeRequestRef, CommitStatus, StatusState
from reconciler.forges.redaction import REDACTED, RedactSecrets
from reconciler.forges.settings import ForgeSettings
from tests.fakes.clock import FakeClock
from tests.fakes.github import FakeGitHub
from tests.fakes.gitlab import FakeGitLab
from tests.forges.conftest import GITLAB_TOKEN, POLICY, SHA, TOKEN, github_client, gitlab_client


def rendered(logs: Sequence[MutableMapping[str, Any]]) -> str:
    return "\n".join(structlog.processors.KeyValueRenderer()(None, "", dict(e)) for e in logs)


def test_retries_rate_limits_and_rejections_log_no_token(
    github: FakeGitHub, gitlab: FakeGitLab, http: httpx.Client, clock: FakeClock
) -> None:
    status = CommitStatus("goldenpath/plan", StatusState.SUCCESS, "ok")
    with capture_logs() as logs:
        github.fail_next(2, status=502)
        github.rate_limit_next()
        client = github_client(github, http, clock)
        client.set_status(SHA, status)
        client.upsert_comment(ChangeRequestRef(7), "plan", "table")
        github.fail_next(POLICY.attempts, status=503)
        with pytest.raises(ForgeUnavailable):
            client.set_status(SHA, CommitStatus("goldenpath/apply", StatusState.PENDING, "x"))
        with pytest.raises(ForgeRejected) as rejected:
            github_client(github, http, clock, token="ghp_wrongButSecret").set_status(SHA, status)
        gitlab.rate_limit_next()
        gitlab_client(gitlab, http, clock).set_status(SHA, status)
    text = rendered(logs)
    assert "forge.retrying" in text and "forge.rate_limited" in text  # the scenario logged
    for secret in (TOKEN, GITLAB_TOKEN, "ghp_wrongButSecret"):
        assert secret not in text
        assert secret not in str(rejected.value)


def test_credentials_and_settings_never_show_tokens_in_repr() -> None:
    settings = ForgeSettings(forge="gitlab", token=GITLAB_TOKEN, repo="a/b")
    for value in (GitHubToken(TOKEN, "ua"), GitLabToken(GITLAB_TOKEN, "ua"), settings):
        assert TOKEN not in repr(value)
        assert GITLAB_TOKEN not in repr(value)


def test_redaction_blanks_secrets_in_any_logged_value() -> None:
    redact = RedactSecrets([TOKEN, "abc"])  # too short to redact safely: ignored
    event = {
        "event": f"request failed with Authorization: Bearer {TOKEN}",
        "error": ValueError(f"bad token {TOKEN}"),
        "count": 3,
        "note": "abc stays",
    }
    out = redact(None, "info", event)
    assert out["event"] == f"request failed with Authorization: Bearer {REDACTED}"
    assert TOKEN not in str(out["error"])
    assert (out["count"], out["note"]) == (3, "abc stays")


def test_redaction_runs_inside_a_structlog_pipeline() -> None:
    out = io.StringIO()
    logger = structlog.wrap_logger(
        structlog.PrintLogger(file=out),
        processors=[RedactSecrets([TOKEN]), structlog.processors.KeyValueRenderer()],
    )
    logger.warning("forge.debug", headers={"Authorization": f"Bearer {TOKEN}"})
    line = out.getvalue()
    assert "forge.debug" in line
    assert TOKEN not in line
    assert REDACTED in line
