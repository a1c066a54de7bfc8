"""Cache entries remember when they were last used, so unused ones can be pruned.

``used_at`` is set when an entry is stored and refreshed (in batches, at most once a
day) when it is read. Existing entries start as used when they were stored.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cache_entries", sa.Column("used_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE cache_entries SET used_at = stored_at")


def downgrade() -> None:
    op.drop_column("cache_entries", "used_at")
