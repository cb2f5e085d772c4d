"""Small durable values in the `kv` table (feed cursor and health, the pause switch, drafts)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.models import KeyValue, utcnow


class Kv:
    """Read and write inside the caller's transaction, so a value changes together with what it describes."""

    @staticmethod
    async def get(session: AsyncSession, key: str) -> str | None:
        row = await session.get(KeyValue, key)
        return row.value if row else None

    @staticmethod
    async def put(session: AsyncSession, key: str, value: str | None) -> None:
        """Store `value`; None deletes the key."""
        row = await session.get(KeyValue, key)
        if value is None:
            if row is not None:
                await session.delete(row)
            return
        if row is None:
            session.add(KeyValue(key=key, value=value))
        else:
            row.value = value
            row.updated_at = utcnow()
