"""Claims: one row per incoming Discord event, so one process of several acts on it.

Revision ID: 0009_claims
Revises: 0007_staff
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.core.models import UTCDateTime

revision = "0009_claims"
down_revision = "0007_staff"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "claims",
        sa.Column("key", sa.String(80), primary_key=True),
        sa.Column("owner", sa.String(80), nullable=False),
        sa.Column("claimed_at", UTCDateTime(), nullable=False),
        sa.Column("lease_until", UTCDateTime(), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_claims_claimed_at", "claims", ["claimed_at"])


def downgrade() -> None:
    op.drop_index("ix_claims_claimed_at", table_name="claims")
    op.drop_table("claims")
