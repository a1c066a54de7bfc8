"""Drift findings: what scheduled drift checks found, for the page, status and notifiers.

Revision ID: 0003
Revises: 0002
Create Date: 2026-05-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "drift_findings",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("unit_id", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("signature", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        _when("found_at"),
        _when("checked_at"),
        _when("resolved_at", nullable=True),
        sa.Column("resolution", sa.String(), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_drift_findings_unit_id_id", "drift_findings", ["unit_id", "id"])
    op.create_index("ix_drift_findings_resolved_at", "drift_findings", ["resolved_at"])


def downgrade() -> None:
    op.drop_index("ix_drift_findings_resolved_at", table_name="drift_findings")
    op.drop_index("ix_drift_findings_unit_id_id", table_name="drift_findings")
    op.drop_table("drift_findings")
