"""The tables the store queries, as SQLAlchemy Core metadata.

This is the schema the code expects; the Alembic migrations in ``migrations/`` build it.
A test compares the two, so they cannot drift apart. Timestamps are stored in UTC and read
back timezone-aware on both backends; JSON is stored as compact, key-sorted text.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Dialect


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend.

    SQLite keeps no zone, so values go in as UTC and come out with UTC attached; string
    comparison of the stored values then orders them correctly, which lease expiry needs.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.utcoffset() is None:
            raise ValueError(f"refusing to store a naive datetime: {value!r}")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


metadata = sa.MetaData()

units = sa.Table(
    "units",
    metadata,
    sa.Column("id", sa.String(), primary_key=True),
    sa.Column("kind", sa.String(), nullable=False),
    sa.Column("stack_name", sa.String(), nullable=False),
    sa.Column("account", sa.String(), nullable=False),
    sa.Column("region", sa.String(), nullable=False),
    sa.Column("template", sa.String(), nullable=False),
    sa.Column("version", sa.String(), nullable=False),
    sa.Column("fingerprint", sa.String(), nullable=True),
    sa.Column("stack_id", sa.String(), nullable=True),
    sa.Column("outputs", sa.Text(), nullable=False),
    sa.Column("conditions", sa.Text(), nullable=False),
    sa.Column("last_attempted_revision", sa.String(), nullable=True),
    sa.Column("last_applied_revision", sa.String(), nullable=True),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    # The team owning the unit's service (None: environments, or not yet known).
    sa.Column("team", sa.String(), nullable=True),
    # The units this one depends on as last started (environment, bindings, instances),
    # a JSON list: the unit page draws the graph around a unit from it.
    sa.Column("depends_on", sa.Text(), nullable=False, server_default="[]"),
)

operations = sa.Table(
    "operations",
    metadata,
    sa.Column("id", sa.String(), primary_key=True),
    sa.Column("unit_id", sa.String(), nullable=False),
    sa.Column("action", sa.String(), nullable=False),
    sa.Column("stack_name", sa.String(), nullable=False),
    sa.Column("account", sa.String(), nullable=False),
    sa.Column("region", sa.String(), nullable=False),
    sa.Column("revision", sa.String(), nullable=False),
    sa.Column("fingerprint", sa.String(), nullable=True),
    sa.Column("change_set", sa.String(), nullable=True),
    sa.Column("client_token", sa.String(), nullable=False, unique=True),
    sa.Column("state", sa.String(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("finished_at", UtcDateTime(), nullable=True),
    sa.Column("result", sa.Text(), nullable=True),
    sa.Index("ix_operations_state", "state"),
    sa.Index("ix_operations_unit_id", "unit_id"),
)

deployments = sa.Table(
    "deployments",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("unit_id", sa.String(), nullable=False),
    sa.Column("revision", sa.String(), nullable=False),
    sa.Column("version", sa.String(), nullable=False),
    sa.Column("status", sa.String(), nullable=False),
    sa.Column("started_at", UtcDateTime(), nullable=False),
    sa.Column("finished_at", UtcDateTime(), nullable=True),
    sa.Column("message", sa.Text(), nullable=False),
    # Who asked for it ("" for the reconciler following git) and which write action.
    sa.Column("actor", sa.String(), nullable=False, server_default=""),
    sa.Column("action", sa.String(), nullable=False, server_default=""),
    # The template body the deployment sent (secret inputs masked), in template_bodies.
    sa.Column("body_digest", sa.String(), nullable=True),
    sa.Index("ix_deployments_unit_id_id", "unit_id", "id"),
    sa.Index("ix_deployments_body_digest", "body_digest"),
    # Never reuse the id of a dropped deployment: ids order the history.
    sqlite_autoincrement=True,
)

leases = sa.Table(
    "leases",
    metadata,
    sa.Column("unit_id", sa.String(), primary_key=True),
    sa.Column("holder", sa.String(), nullable=False),
    sa.Column("acquired_at", UtcDateTime(), nullable=False),
    sa.Column("expires_at", UtcDateTime(), nullable=False),
)

cache_entries = sa.Table(
    "cache_entries",
    metadata,
    sa.Column("namespace", sa.String(), primary_key=True),
    sa.Column("key", sa.String(), primary_key=True),
    sa.Column("value", sa.Text(), nullable=False),
    sa.Column("stored_at", UtcDateTime(), nullable=False),
    # When it was last stored or read, to within StateSettings.cache_use_resolution.
    sa.Column("used_at", UtcDateTime(), nullable=True),
)

rollouts = sa.Table(
    "rollouts",
    metadata,
    sa.Column("id", sa.String(), primary_key=True),
    sa.Column("template", sa.String(), nullable=False),
    sa.Column("major", sa.Integer(), nullable=False),
    sa.Column("from_version", sa.String(), nullable=False),
    sa.Column("to_version", sa.String(), nullable=False),
    sa.Column("waves", sa.Text(), nullable=False),
    sa.Column("status", sa.String(), nullable=False),
    sa.Column("started_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("message", sa.Text(), nullable=False),
    sa.Index("ix_rollouts_status", "status"),
)

revisions = sa.Table(
    "revisions",
    metadata,
    sa.Column("branch", sa.String(), primary_key=True),
    sa.Column("commit", sa.String(), nullable=False),
    sa.Column("seen_at", UtcDateTime(), nullable=False),
)

deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("id", sa.String(), primary_key=True),
    sa.Column("received_at", UtcDateTime(), nullable=False),
    sa.Index("ix_deliveries_received_at", "received_at"),
)

# What scheduled drift checks found (reconciler.drift): one open finding per drifted unit,
# resolved when the stack is back in line; notifiers read new ones by id.
drift_findings = sa.Table(
    "drift_findings",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("unit_id", sa.String(), nullable=False),
    sa.Column("reason", sa.String(), nullable=False),
    sa.Column("message", sa.Text(), nullable=False),
    sa.Column("details", sa.Text(), nullable=False),
    sa.Column("signature", sa.String(), nullable=False),
    sa.Column("action", sa.String(), nullable=False),
    sa.Column("found_at", UtcDateTime(), nullable=False),
    sa.Column("checked_at", UtcDateTime(), nullable=False),
    sa.Column("resolved_at", UtcDateTime(), nullable=True),
    sa.Column("resolution", sa.String(), nullable=False),
    sa.Index("ix_drift_findings_unit_id_id", "unit_id", "id"),
    sa.Index("ix_drift_findings_resolved_at", "resolved_at"),
    sqlite_autoincrement=True,
)

# API tokens: only a hash of each is kept. ``team`` None is an admin token.
tokens = sa.Table(
    "tokens",
    metadata,
    sa.Column("id", sa.String(), primary_key=True),
    sa.Column("team", sa.String(), nullable=True),
    sa.Column("name", sa.String(), nullable=False),
    sa.Column("digest", sa.String(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("created_by", sa.String(), nullable=False),
    sa.Column("revoked_at", UtcDateTime(), nullable=True),
)

# Terraform units: each write of a unit to the provisioning repository, by the deployment id
# the workflow notifies with (reconciler.state.provisioning).
provisioning_deployments = sa.Table(
    "provisioning_deployments",
    metadata,
    sa.Column("id", sa.String(), primary_key=True),
    sa.Column("unit_id", sa.String(), nullable=False),
    sa.Column("revision", sa.String(), nullable=False),
    sa.Column("version", sa.String(), nullable=False),
    sa.Column("fingerprint", sa.String(), nullable=False),
    sa.Column("history_id", sa.Integer(), nullable=False),
    sa.Column("state", sa.String(), nullable=False),
    sa.Column("deleting", sa.Boolean(), nullable=False),
    sa.Column("folder", sa.String(), nullable=False),
    sa.Column("branch", sa.String(), nullable=False),
    sa.Column("change_request", sa.String(), nullable=False),
    sa.Column("message", sa.Text(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Index("ix_provisioning_deployments_unit_id", "unit_id"),
    sa.Index("ix_provisioning_deployments_state", "state"),
)


# The update pull request offered to each service (reconciler.updates): what it moves, its
# number and page, and how it ended, so a version the team closed is not offered again.
update_offers = sa.Table(
    "update_offers",
    metadata,
    sa.Column("service", sa.String(), primary_key=True),
    sa.Column("template", sa.String(), nullable=False),
    sa.Column("targets", sa.Text(), nullable=False),  # JSON: unit id → version offered
    sa.Column("branch", sa.String(), nullable=False),
    sa.Column("number", sa.Integer(), nullable=True),
    sa.Column("url", sa.String(), nullable=False),
    sa.Column("state", sa.String(), nullable=False),
    sa.Column("digest", sa.String(), nullable=False),
    sa.Column("offered_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)


# The notification outbox (reconciler.notifications): one row per event and target,
# written in the transaction that records what happened, delivered by serve's dispatcher.
# A row is claimed by one process at a time (``claim``, until ``claimed_until``).
notifications = sa.Table(
    "notifications",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String(), nullable=False),
    sa.Column("kind", sa.String(), nullable=False),
    sa.Column("target", sa.String(), nullable=False),
    sa.Column("format", sa.String(), nullable=False),
    sa.Column("url_from", sa.String(), nullable=False),
    sa.Column("secret_from", sa.String(), nullable=True),
    sa.Column("payload", sa.Text(), nullable=False),
    sa.Column("state", sa.String(), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("next_attempt_at", UtcDateTime(), nullable=False),
    sa.Column("finished_at", UtcDateTime(), nullable=True),
    sa.Column("claim", sa.String(), nullable=True),
    sa.Column("claimed_by", sa.String(), nullable=True),
    sa.Column("claimed_until", UtcDateTime(), nullable=True),
    sa.Column("last_error", sa.Text(), nullable=False),
    sa.UniqueConstraint("event_id", "target", name="uq_notifications_event_target"),
    sa.Index("ix_notifications_state_next_attempt_at", "state", "next_attempt_at"),
    sqlite_autoincrement=True,
)


# Template bodies deployments sent, content-addressed (sha256 of the text): a body many
# deployments sent is kept once, and dropped with the last deployment that names it.
template_bodies = sa.Table(
    "template_bodies",
    metadata,
    sa.Column("digest", sa.String(), primary_key=True),
    sa.Column("body", sa.Text(), nullable=False),
)
