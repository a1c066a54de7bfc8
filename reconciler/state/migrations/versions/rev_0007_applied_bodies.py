"""The unit page: each deployment's template body (content-addressed), each unit's
dependencies.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "template_bodies",
        sa.Column("digest", sa.String(), primary_key=True),
        sa.Column("body", sa.Text(), nullable=False),
    )
    with op.batch_alter_table("deployments") as batch:
        batch.add_column(sa.Column("body_digest", sa.String(), nullable=True))
        batch.create_index("ix_deployments_body_digest", ["body_digest"])
    with op.batch_alter_table("units") as batch:
        batch.add_column(sa.Column("depends_on", sa.Text(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("units") as batch:
        batch.drop_column("depends_on")
    with op.batch_alter_table("deployments") as batch:
        batch.drop_index("ix_deployments_body_digest")
        batch.drop_column("body_digest")
    op.drop_table("template_bodies")
