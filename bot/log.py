"""One place to set up logging."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from bot.core.text.logfilter import DeviceIdLogFilter
from bot.core.text.scanner import IdScanner


def setup_logging(level: str = "INFO", *, file: Path | None = None, serial_pattern: str | None = None) -> None:
    """One handler for every logger; device IDs (and serials matching serial_pattern) never reach it."""
    handler: logging.Handler
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(file, encoding="utf-8")
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    handler.addFilter(DeviceIdLogFilter(IdScanner(serial_pattern)))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # discord.py's own INFO chatter (gateway, shards) is useful at DEBUG only
    logging.getLogger("discord").setLevel(max(logging.getLevelName(level), logging.WARNING))
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("aiosqlite").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("matplotlib").setLevel(logging.WARNING)
