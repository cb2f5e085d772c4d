"""Numbers read back from a button's custom_id: whatever a client sends, it is parsed strictly."""

from __future__ import annotations

MAX_ID = 2**63 - 1  # a signed 64-bit column: every row id and every Discord snowflake fits


def parse_id(text: str) -> int | None:
    """A positive id that fits the database, else None (a forged or garbled custom_id)."""
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None
