from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.db import Database
from tests.helpers import sqlite_database


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated SQLite database (the `database` fixture adds PostgreSQL where both matter)."""
    async with sqlite_database(tmp_path / "status.db") as database:
        yield database
