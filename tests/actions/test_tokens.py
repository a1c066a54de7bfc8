"""The token scheme: random, recognisable, stored only as a hash, checked in constant time."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from reconciler.actions import Actor, authenticate, authorize, create_token, operator, tokens
from reconciler.errors import ActionInputInvalid, NotAuthenticated, NotPermitted
from reconciler.state import StateStore, UnitRecord
from tests.engine.cli import goldenpath

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> StateStore:
    opened = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")
    yield opened  # type: ignore[misc]
    opened.close()


def _unit(unit_id: str, team: str | None) -> UnitRecord:
    kind = unit_id.split("/")[0]
    return UnitRecord(
        id=unit_id,
        kind=kind,  # type: ignore[arg-type]
        stack_name="goldenpath-" + unit_id.replace("/", "-"),
        account="111111111111",
        region="us-west-2",
        template="svc",
        version="1.0",
        updated_at=NOW,
        team=team,
    )


def test_a_new_token_is_prefixed_random_and_kept_only_as_its_hash() -> None:
    issued = tokens.issue()
    other = tokens.issue()

    assert re.fullmatch(r"gp_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", issued.text)
    assert issued.id != other.id and issued.text != other.text
    presented = tokens.parse(issued.text)
    assert presented is not None and presented.id == issued.id
    assert len(presented.secret) * 6 >= 256  # 43 url-safe characters: 256 random bits
    assert tokens.matches(presented, issued.digest)
    assert presented.secret not in issued.digest
    assert issued.text not in repr(issued) and presented.secret not in repr(presented)


@pytest.mark.parametrize(
    "text",
    ["", "gp_", "Bearer gp_x", "gp_3fa2c1d0e9b8", "gh_3fa2c1d0e9b8_" + "a" * 43,
     "gp_3FA2C1D0E9B8_" + "a" * 43, "gp_3fa2c1d0e9b8_" + "a" * 42],
)  # fmt: skip
def test_anything_but_a_whole_token_does_not_parse(text: str) -> None:
    assert tokens.parse(text) is None


def test_a_wrong_secret_or_an_unknown_id_does_not_match() -> None:
    issued = tokens.issue()
    presented = tokens.parse(issued.text)
    assert presented is not None
    forged = tokens.PresentedToken(presented.id, presented.secret[:-1] + "x")

    assert not tokens.matches(forged, issued.digest)
    assert not tokens.matches(presented, None)


@pytest.mark.parametrize(
    ("header", "expected"),
    [(None, None), ("", None), ("Basic abc", None), ("Bearer ", None),
     ("Bearer gp_x", "gp_x"), ("bearer  gp_y ", "gp_y")],
)  # fmt: skip
def test_the_bearer_header_gives_its_token(header: str | None, expected: str | None) -> None:
    assert tokens.bearer(header) == expected


def test_authenticate_proves_a_token_of_its_team(store: StateStore) -> None:
    issued, stored = create_token(store, team="storefront", name="ci-bot", created_by="anna")

    actor = authenticate(store, f"Bearer {issued.text}")

    assert actor == Actor("ci-bot", "token", stored.id, "storefront")
    assert actor.label == f"ci-bot (token {stored.id}, team storefront)"
    assert not actor.admin


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "needs a token"),
        ("Bearer not-a-token", "is not a Goldenpath token"),
        ("Bearer gp_000000000000_" + "a" * 43, "token 000000000000 is not valid"),
    ],
)
def test_authenticate_refuses_missing_malformed_and_unknown_tokens(
    store: StateStore, header: str | None, message: str
) -> None:
    with pytest.raises(NotAuthenticated, match=message):
        authenticate(store, header)


def test_authenticate_refuses_a_wrong_secret_and_a_revoked_token(store: StateStore) -> None:
    issued, stored = create_token(store, team=None, name="ops", created_by="anna")
    wrong = issued.text[:-1] + ("a" if issued.text[-1] != "a" else "b")

    with pytest.raises(NotAuthenticated, match="is not valid"):
        authenticate(store, f"Bearer {wrong}")
    store.revoke_token(stored.id)
    with pytest.raises(NotAuthenticated, match="was revoked"):
        authenticate(store, f"Bearer {issued.text}")


def test_no_token_or_secret_reaches_the_logs(store: StateStore) -> None:
    with capture_logs() as logs:
        issued, stored = create_token(store, team="storefront", name="ci", created_by="anna")
        presented = tokens.parse(issued.text)
        assert presented is not None
        for header in (f"Bearer {issued.text[:-1]}x", f"Bearer {issued.text}"):
            try:
                actor = authenticate(store, header)
            except NotAuthenticated:
                continue
        with pytest.raises(NotPermitted):
            authorize(actor, _unit("service/ledger/test", "payments"))

    assert logs, "the refusals and the creation are logged"
    assert all(presented.secret not in repr(entry) for entry in logs)
    assert any(entry.get("token_id") == stored.id for entry in logs)


@pytest.mark.parametrize(
    ("unit", "team", "allowed"),
    [
        ("service/web/test", "storefront", True),
        ("pipeline/web", "storefront", True),
        ("component/web/test/queue", "storefront", True),
        ("service/ledger/test", "payments", False),
        ("environment/test", None, False),
        ("service/old/test", None, False),  # recorded before teams were kept
    ],
)
def test_a_team_token_acts_only_on_its_team_s_units(
    unit: str, team: str | None, allowed: bool
) -> None:
    storefront = Actor("ci", "token", "3fa2c1d0e9b8", "storefront")
    record = _unit(unit, team)

    if allowed:
        authorize(storefront, record)
    else:
        with pytest.raises(NotPermitted, match="may act only on units of its team's services"):
            authorize(storefront, record)
    authorize(Actor("ops", "token", "0f0f0f0f0f0f", None), record)  # admins: any unit
    authorize(operator("anna"), record)  # the command line: any unit


def test_names_are_checked(store: StateStore) -> None:
    with pytest.raises(ActionInputInvalid, match="--team 'store front'"):
        create_token(store, team="store front", name="x", created_by="anna")
    with pytest.raises(ActionInputInvalid, match="--as"):
        operator("anna; rm -rf /")
    assert store.tokens() == []


def test_token_commands_create_list_and_revoke_and_the_database_holds_no_token(
    tmp_path: Path,
) -> None:
    state = f"sqlite:///{tmp_path / 'state.db'}"

    created = goldenpath("token", "create", "--team", "storefront", "--name", "ci-bot",
                         "--as", "anna", "--state", state, "--output", "json")  # fmt: skip
    listed = goldenpath("token", "list", "--state", state, "--output", "json")
    revoked = goldenpath("token", "revoke", created.json()["id"], "--state", state)
    no_scope = goldenpath("token", "create", "--state", state)

    assert created.code == 0, created
    text = created.json()["token"]
    assert text.startswith("gp_") and created.json()["scope"] == "team:storefront"
    assert [t["name"] for t in listed.json()["tokens"]] == ["ci-bot"]
    assert "digest" not in listed.stdout and text not in listed.stdout
    assert revoked.code == 0 and "revoked" in revoked.stdout
    assert no_scope.code == 1 and "needs --team TEAM or --admin" in no_scope.stdout
    secret = text.split("_", 2)[2]
    assert secret.encode() not in (tmp_path / "state.db").read_bytes()
