from __future__ import annotations

import io
import logging

import pytest

from bot.core.text.logfilter import LOG_REDACTION, install
from bot.core.text.scanner import IdScanner

IMEI = "352099001761481"
SPACED = "35\u00a0209900\u2009176148\u200b1"


@pytest.fixture
def logged() -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("test-logfilter")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    install(IdScanner(r"WR\d{8}"), logger)
    return logger, stream


def test_ids_in_messages_and_args_are_removed(logged: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = logged
    logger.error("command %r not found", f"{IMEI}")
    logger.warning(f"customer wrote {SPACED} and WR12345678")
    logger.info("nothing to see: order %d at %s", 12345, "17:00")
    out = stream.getvalue()
    assert IMEI not in out and "176148" not in out and "12345678" not in out
    assert out.count(LOG_REDACTION) == 3
    assert "order 12345 at 17:00" in out


def test_ids_in_tracebacks_are_removed(logged: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = logged
    try:
        raise ValueError(f"bad device {IMEI}")
    except ValueError:
        logger.exception("failed")
    out = stream.getvalue()
    assert "Traceback" in out and IMEI not in out and LOG_REDACTION in out


def test_installing_twice_adds_one_filter(logged: tuple[logging.Logger, io.StringIO]) -> None:
    logger, _ = logged
    install(IdScanner(), logger)
    assert len(logger.handlers[0].filters) == 1
