"""The first schema: units, operations, deployments, leases, caches, rollouts, marks.

Revision ID: 0001
Revises:
Create Date: 2026-05-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "units",
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
        _when("updated_at"),
    )
    op.create_table(
        "operations",
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
        _when("created_at"),
        _when("finished_at", nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
    )
    op.create_index("ix_operations_state", "operations", ["state"])
    op.create_index("ix_operations_unit_id", "operations", ["unit_id"])
    op.create_table(
        "deployments",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("unit_id", sa.String(), nullable=False),
        sa.Column("revision", sa.String(), nullable=False),
        sa.Column("version", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        _when("started_at"),
        _when("finished_at", nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_deployments_unit_id_id", "deployments", ["unit_id", "id"])
    op.create_table(
        "leases",
        sa.Column("unit_id", sa.String(), primary_key=True),
        sa.Column("holder", sa.String(), nullable=False),
        _when("acquired_at"),
        _when("expires_at"),
    )
    op.create_table(
        "cache_entries",
        sa.Column("namespace", sa.String(), primary_key=True),
        sa.Column("key", sa.String(), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
        _when("stored_at"),
    )
    op.create_table(
        "rollouts",
        sa.Column("id", sa.String(), primary_key=True),
        sa.Column("template", sa.String(), nullable=False),
        sa.Column("major", sa.Integer(), nullable=False),
        sa.Column("from_version", sa.String(), nullable=False),
        sa.Column("to_version", sa.String(), nullable=False),
        sa.Column("waves", sa.Text(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        _when("started_at"),
        _when("updated_at"),
        sa.Column("message", sa.Text(), nullable=False),
    )
    op.create_index("ix_rollouts_status", "rollouts", ["status"])
    op.create_table(
        "revisions",
        sa.Column("branch", sa.String(), primary_key=True),
        sa.Column("commit", sa.String(), nullable=False),
        _when("seen_at"),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.String(), primary_key=True),
        _when("received_at"),
    )
    op.create_index("ix_deliveries_received_at", "deliveries", ["received_at"])


def downgrade() -> None:
    for table in (
        "deliveries",
        "revisions",
        "rollouts",
        "cache_entries",
        "leases",
        "deployments",
        "operations",
        "units",
    ):
        op.drop_table(table)
