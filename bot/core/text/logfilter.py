"""A logging filter that takes device IDs out of every log record.

Installed on the root handlers by `bot.log.setup_logging`, so it sees every record that is
written, from any logger: the message, its arguments, the exception text and stack info.
A record is only rewritten when the scanner finds an ID, so ordinary logging costs one
scan of the rendered message.
"""

from __future__ import annotations

import logging

from bot.core.text.scanner import IdScanner

__all__ = ["LOG_REDACTION", "DeviceIdLogFilter"]

LOG_REDACTION = "[device ID]"


class DeviceIdLogFilter(logging.Filter):
    def __init__(self, scanner: IdScanner) -> None:
        super().__init__("device-ids")
        self.scanner = scanner

    def _clean(self, text: str) -> str:
        return self.scanner.redact(text, replacement=LOG_REDACTION)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: let logging report it as usual
            return True
        cleaned = self._clean(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._clean(record.exc_text)
        if record.stack_info:
            record.stack_info = self._clean(record.stack_info)
        return True


def install(scanner: IdScanner, logger: logging.Logger | None = None) -> DeviceIdLogFilter:
    """Add the filter to every handler of logger (the root logger by default); returns it."""
    target = logger or logging.getLogger()
    log_filter = DeviceIdLogFilter(scanner)
    for handler in target.handlers:
        if not any(isinstance(f, DeviceIdLogFilter) for f in handler.filters):
            handler.addFilter(log_filter)
    return log_filter
