"""Status and comment values: limits, markers and the curated public surface."""

from __future__ import annotations

import pytest

import reconciler.forges
from reconciler.forges.model import (
    CommitStatus,
    StatusState,
    fit_comment,
    marker_tag,
    shorten,
)


def test_short_description_is_kept_on_one_line() -> None:
    assert shorten("two\nlines  here", 140) == "two lines here"


def test_long_description_ends_with_ellipsis_at_exactly_the_limit() -> None:
    cut = shorten("word " * 100, 140)
    assert len(cut) <= 140
    assert cut.endswith("…")


def test_status_needs_a_context() -> None:
    with pytest.raises(ValueError, match="needs a context"):
        CommitStatus("", StatusState.SUCCESS, "ok")


def test_marker_must_be_safe_inside_an_html_comment() -> None:
    assert marker_tag("plan") == "<!-- goldenpath:plan -->"
    with pytest.raises(ValueError, match="comment marker"):
        marker_tag("plan --> <b>")


def test_comment_within_limit_is_tag_then_body() -> None:
    assert fit_comment("<!--t-->", "body", 100, "GitHub") == "<!--t-->\nbody"


def test_comment_over_limit_is_cut_at_a_line_end_with_a_note() -> None:
    body = "\n".join(f"row {i}" for i in range(1000))
    text = fit_comment("<!--t-->", body, 500, "GitHub")
    assert len(text) <= 500
    assert text.startswith("<!--t-->\nrow 0\n")
    kept = text.split("\n\n…\n\n")[0]
    assert kept.splitlines()[-1].startswith("row ")  # no half row
    assert "over GitHub's limit of 500" in text


def test_public_surface_is_pinned() -> None:
    assert reconciler.forges.__all__ == [
        "DESCRIPTION_LIMIT",
        "ChangeRequestDraft",
        "ChangeRequestInfo",
        "ChangeRequestRef",
        "ChangeRequestState",
        "ChangeRequests",
        "Clock",
        "CommentRef",
        "CommitStatus",
        "Forge",
        "ForgeClient",
        "ForgeError",
        "ForgeRejected",
        "ForgeSettings",
        "ForgeUnavailable",
        "GitHubApp",
        "RedactSecrets",
        "RetryPolicy",
        "SettingsError",
        "StatusState",
        "SystemClock",
        "open_forge",
    ]
