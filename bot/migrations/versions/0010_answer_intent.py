"""The intent the router gave each question, on its answer record (for metrics and statistics by intent).

Nullable: answers recorded before this revision have none.

Revision ID: 0010_answer_intent
Revises: 0009_claims
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_answer_intent"
down_revision = "0009_claims"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("answers") as batch:
        batch.add_column(sa.Column("intent", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("answers") as batch:
        batch.drop_column("intent")
