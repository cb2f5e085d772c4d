"""Staff workflow: ticket claim, priority, SLA and closing reason; transcripts; numbers never reused;
anonymous statistics that survive erasure; the username on a registration.

Revision ID: 0007_staff
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.core.models import UTCDateTime

revision = "0007_staff"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    # On SQLite the table is rebuilt with AUTOINCREMENT: without it, deleting the newest ticket (an
    # erasure) hands its number to the next one. PostgreSQL's sequence never goes back.
    with op.batch_alter_table(
        "tickets", recreate="always" if sqlite else "auto", table_kwargs={"sqlite_autoincrement": True}
    ) as batch:
        batch.add_column(sa.Column("priority", sa.String(length=8), nullable=False, server_default="normal"))
        batch.add_column(sa.Column("claimed_by", sa.BigInteger(), nullable=True))
        batch.add_column(
            sa.Column("waiting_since", UTCDateTime(), nullable=False, server_default=sa.text("CURRENT_TIMESTAMP"))
        )
        batch.add_column(sa.Column("responded_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("sla_level", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("reopened", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("close_reason", sa.Text(), nullable=True))
    op.execute("UPDATE tickets SET waiting_since = created_at")
    op.execute("UPDATE tickets SET priority = 'high' WHERE reason = 'upset'")  # distress first, old ones too
    op.create_index("ix_tickets_thread_id", "tickets", ["thread_id"])
    with op.batch_alter_table("devices") as batch:
        batch.add_column(sa.Column("username", sa.String(length=64), nullable=False, server_default=""))
    op.create_table(
        "ticket_messages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=True),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_ticket_messages_ticket_id", "ticket_messages", ["ticket_id"])
    op.create_table(
        "stat_counts",
        sa.Column("hour", sa.String(length=13), primary_key=True),
        sa.Column("name", sa.String(length=24), primary_key=True),
        sa.Column("value", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("stat_counts")
    op.drop_index("ix_ticket_messages_ticket_id", table_name="ticket_messages")
    op.drop_table("ticket_messages")
    with op.batch_alter_table("devices") as batch:
        batch.drop_column("username")
    op.drop_index("ix_tickets_thread_id", table_name="tickets")
    with op.batch_alter_table("tickets") as batch:
        for name in (
            "close_reason",
            "reopened",
            "sla_level",
            "responded_at",
            "waiting_since",
            "claimed_by",
            "priority",
        ):
            batch.drop_column(name)
