"""Device registrations.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.core.models

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "devices",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("id_cipher", sa.Text(), nullable=False),
        sa.Column("tail", sa.String(length=4), nullable=False),
        sa.Column("needs_review", sa.Boolean(), nullable=False),
        sa.Column("created_at", bot.core.models.UTCDateTime(), nullable=False),
        sa.UniqueConstraint("customer_id", "id_hash", name="uq_devices_customer_hash"),
    )
    op.create_index("ix_devices_id_hash", "devices", ["id_hash"])
    op.create_index("ix_devices_customer_id", "devices", ["customer_id"])


def downgrade() -> None:
    op.drop_table("devices")
