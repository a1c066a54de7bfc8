"""Write actions: API tokens (hashes only), who acted on each deployment, each unit's team.

Revision ID: 0004
Revises: 0003
Create Date: 2026-06-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tokens",
        sa.Column("id", sa.String(), primary_key=True),
        sa.Column("team", sa.String(), nullable=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("digest", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    with op.batch_alter_table("deployments") as batch:
        batch.add_column(sa.Column("actor", sa.String(), nullable=False, server_default=""))
        batch.add_column(sa.Column("action", sa.String(), nullable=False, server_default=""))
    with op.batch_alter_table("units") as batch:
        batch.add_column(sa.Column("team", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("units") as batch:
        batch.drop_column("team")
    with op.batch_alter_table("deployments") as batch:
        batch.drop_column("action")
        batch.drop_column("actor")
    op.drop_table("tokens")
