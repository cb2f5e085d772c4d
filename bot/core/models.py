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
