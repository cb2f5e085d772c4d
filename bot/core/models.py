"""Database tables (SQLModel). Schema changes go through alembic migrations in bot/migrations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Index, Text, TypeDecorator, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Device(SQLModel, table=True):
    """One customer's registration of one device. The ID itself is only stored encrypted."""

    __tablename__ = "devices"
    __table_args__ = (
        UniqueConstraint("customer_id", "id_hash", name="uq_devices_customer_hash"),
        Index("ix_devices_id_hash", "id_hash"),
        Index("ix_devices_customer_id", "customer_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(sa_type=BigInteger)
    kind: str = Field(max_length=8)
    id_hash: str = Field(max_length=64)
    id_cipher: str = Field(sa_type=Text)
    tail: str = Field(max_length=4)
    needs_review: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    username: str = Field(default="", max_length=64)  # the Discord name at registration, for staff's exports


class Conversation(SQLModel, table=True):
    """A customer's conversation with the bot: one support thread, one DM channel, or slash commands."""

    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("channel_id", "customer_id", name="uq_conversations_channel_customer"),
        Index("ix_conversations_customer_id", "customer_id"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigInteger)  # made by ConversationStore
    customer_id: int = Field(sa_type=BigInteger)
    channel_id: int = Field(sa_type=BigInteger)
    kind: str = Field(max_length=8)  # thread / dm / mention / slash
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Turn(SQLModel, table=True):
    """One message of a conversation, device IDs already removed."""

    __tablename__ = "turns"
    __table_args__ = (Index("ix_turns_conversation_id", "conversation_id"),)

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversations.id", ondelete="CASCADE", sa_type=BigInteger)
    role: str = Field(max_length=9)  # customer / bot
    content: str = Field(sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AnswerRecord(SQLModel, table=True):
    """Every answer given: for feedback buttons, statistics and the FAQ's gaps."""

    __tablename__ = "answers"
    __table_args__ = (
        Index("ix_answers_customer_id", "customer_id"),
        Index("ix_answers_created_at", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigInteger)  # made by ConversationStore
    customer_id: int = Field(sa_type=BigInteger)
    conversation_id: int | None = Field(
        default=None, foreign_key="conversations.id", ondelete="SET NULL", sa_type=BigInteger
    )
    question: str = Field(sa_type=Text)
    answer: str = Field(sa_type=Text)
    source: str = Field(max_length=10)  # llm / offline / cache / refusal / limit
    intent: str | None = Field(default=None, max_length=16)  # bot.core.router.Intent; None: not routed, or older
    answered: bool = True  # False: the bot did not know
    escalated: bool = False
    faq_keys: str = ""
    faq_version: str = Field(default="", max_length=64)
    feedback: str | None = Field(default=None, max_length=12)  # helpful / not_helpful
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AnswerCache(SQLModel, table=True):
    """An LLM answer reused for the same question against the same FAQ and status."""

    __tablename__ = "answer_cache"

    cache_key: str = Field(primary_key=True, max_length=64)
    answer: str = Field(sa_type=Text)
    faq_keys: str = ""
    faq_version: str = Field(default="", max_length=64)
    customer_id: int = Field(sa_type=BigInteger)  # whose question created it (erased with them)
    hits: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Ticket(SQLModel, table=True):
    """A hand-over to staff. Its number is never reused, even after an erasure deleted the newest ones."""

    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_customer_id", "customer_id"),
        Index("ix_tickets_status", "status"),
        Index("ix_tickets_thread_id", "thread_id"),
        {"sqlite_autoincrement": True},  # PostgreSQL's sequence never reuses a number either
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(sa_type=BigInteger)
    reason: str = Field(max_length=16)  # asked / upset / unanswered / not_helpful
    summary: str = Field(sa_type=Text)
    status: str = Field(default="open", max_length=8)  # open / closed / failed
    priority: str = Field(default="normal", max_length=8)  # high (distress) / normal
    thread_id: int | None = Field(default=None, sa_type=BigInteger)
    failure: str | None = Field(default=None, sa_type=Text)
    claimed_by: int | None = Field(default=None, sa_type=BigInteger)  # the staff member handling it
    waiting_since: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)  # opened or reopened
    responded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # staff's first reply since then
    sla_level: int = 0  # SLA reminders already sent since waiting_since
    reopened: int = 0
    close_reason: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_by: int | None = Field(default=None, sa_type=BigInteger)


class TicketMessage(SQLModel, table=True):
    """The transcript of a hand-over thread, captured as messages arrive; erased with the customer."""

    __tablename__ = "ticket_messages"
    __table_args__ = (Index("ix_ticket_messages_ticket_id", "ticket_id"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id", ondelete="CASCADE")
    author_id: int | None = Field(default=None, sa_type=BigInteger)  # None after the author's erasure
    role: str = Field(max_length=8)  # customer / staff
    content: str = Field(sa_type=Text)  # device IDs already removed
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class StatCount(SQLModel, table=True):
    """Anonymous counts per hour of what an erasure deleted, so statistics do not shrink when people leave."""

    __tablename__ = "stat_counts"

    hour: str = Field(primary_key=True, max_length=13)  # YYYY-MM-DDTHH, UTC
    name: str = Field(primary_key=True, max_length=24)
    value: int = 0


class LlmUsage(SQLModel, table=True):
    """LLM tokens spent per UTC day, for the daily budget."""

    __tablename__ = "llm_usage"

    day: str = Field(primary_key=True, max_length=10)
    tokens: int = 0
    calls: int = 0


class StatusUpdate(SQLModel, table=True):
    """Every update seen in the status feed, and what became of it in the status channel."""

    __tablename__ = "status_updates"
    __table_args__ = (UniqueConstraint("key", name="uq_status_updates_key"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=300)
    incident_key: str = Field(max_length=300)
    incident_title: str = Field(sa_type=Text)
    state: str = Field(max_length=20)
    impact: str = Field(default="unknown", max_length=20)
    body: str = Field(sa_type=Text)
    progress: str = Field(default="{}", sa_type=Text)  # JSON: data type -> {state, percent}
    next_update_by: datetime | None = Field(default=None, sa_type=UTCDateTime)
    published_at: datetime = Field(sa_type=UTCDateTime)
    content_hash: str = Field(max_length=64)
    edited: bool = False
    posted: str = Field(default="queued", max_length=10)  # queued / held / history (never posted)
    message_id: int | None = Field(default=None, sa_type=BigInteger)
    posted_hash: str | None = Field(default=None, max_length=64)  # content hash the channel message shows
    first_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Outbox(SQLModel, table=True):
    """A message to deliver, written in the same transaction as the change that causes it."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("dedupe_key", name="uq_outbox_dedupe_key"),
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_customer_id", "customer_id"),
        Index("ix_outbox_broadcast_id", "broadcast_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=8)  # post / edit / dm
    target_id: int = Field(sa_type=BigInteger)  # channel id (post, edit) or user id (dm)
    dedupe_key: str = Field(max_length=300)
    payload: str = Field(sa_type=Text)  # JSON: content, embed, view
    status: str = Field(default="pending", max_length=12)  # pending / sent / unreachable / failed / cancelled
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    update_key: str | None = Field(default=None, max_length=300)  # status post/edit: which update
    message_id: int | None = Field(default=None, sa_type=BigInteger)  # edit: the message to edit; sent: the result
    customer_id: int | None = Field(default=None, sa_type=BigInteger)
    broadcast_id: int | None = Field(default=None)
    last_error: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Subscription(SQLModel, table=True):
    __tablename__ = "subscriptions"

    customer_id: int = Field(sa_type=BigInteger, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DeviceState(SQLModel, table=True):
    """Recovery state of a device, by the keyed hash of its ID (it may arrive before anyone registers it)."""

    __tablename__ = "device_states"

    id_hash: str = Field(primary_key=True, max_length=64)
    state: str = Field(max_length=20)
    progress: str = Field(default="{}", sa_type=Text)
    note: str | None = Field(default=None, sa_type=Text)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    source: str = Field(default="feed", max_length=8)  # feed / staff


class KeyValue(SQLModel, table=True):
    """Small pieces of durable state: feed cursor, ETag, health, pause flag."""

    __tablename__ = "kv"

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(sa_type=Text)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AuditEntry(SQLModel, table=True):
    """Who did what, when: every admin action, with device IDs masked."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_subject_id", "subject_id"), Index("ix_audit_log_created_at", "created_at"))

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int | None = Field(default=None, sa_type=BigInteger)  # staff member (None: the command line)
    actor_hash: str | None = Field(default=None, max_length=64)  # instead of actor_id after the actor's erasure
    action: str = Field(max_length=40)
    subject_id: int | None = Field(default=None, sa_type=BigInteger)  # the customer concerned, if any
    subject_hash: str | None = Field(default=None, max_length=64)  # instead of subject_id after erasure
    args: str = Field(default="{}", sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class FaqEdit(SQLModel, table=True):
    """Staff's runtime FAQ changes: an entry added or replaced, or a key removed."""

    __tablename__ = "faq_edits"

    key: str = Field(primary_key=True, max_length=80)
    question: str = Field(default="", sa_type=Text)
    answer: str = Field(default="", sa_type=Text)
    keywords: str = Field(default="", sa_type=Text)
    removed: bool = False
    updated_by: int | None = Field(default=None, sa_type=BigInteger)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Broadcast(SQLModel, table=True):
    __tablename__ = "broadcasts"

    id: int | None = Field(default=None, primary_key=True)
    created_by: int | None = Field(default=None, sa_type=BigInteger)
    audience: str = Field(max_length=12)  # subscribers / devices
    text: str = Field(sa_type=Text)
    status: str = Field(default="draft", max_length=10)  # draft / sending / cancelled / done
    recipients: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class DmChannel(SQLModel, table=True):
    """A customer's DM channel id (it never changes), so a DM needs no channel-opening request."""

    __tablename__ = "dm_channels"

    customer_id: int = Field(sa_type=BigInteger, primary_key=True)
    channel_id: int = Field(sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
