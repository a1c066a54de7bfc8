"""Terraform units: the deployments written to the provisioning repository.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "provisioning_deployments",
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
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_provisioning_deployments_unit_id", "provisioning_deployments", ["unit_id"])
    op.create_index("ix_provisioning_deployments_state", "provisioning_deployments", ["state"])


def downgrade() -> None:
    op.drop_index("ix_provisioning_deployments_state", "provisioning_deployments")
    op.drop_index("ix_provisioning_deployments_unit_id", "provisioning_deployments")
    op.drop_table("provisioning_deployments")
