"""Domain errors. Each carries a message that is safe to show to the person who caused it."""

from __future__ import annotations


class UserFacingError(Exception):
    """An error whose `str()` may be shown to the user as is."""


class DatabaseUnavailable(UserFacingError):
    """The database cannot be reached, opened or written."""


class NotFound(UserFacingError):
    pass


class PermissionDenied(UserFacingError):
    pass


class RateLimited(UserFacingError):
    pass


class KnowledgeError(ValueError):
    """An operator's file (faq.md, safety.md, system.md) or a staff edit is invalid.

    `str()` names the file and line. It lives here, not beside a parser, so the FAQ, prompt and
    safety-rule parsers can all raise it without importing one another.
    """

    def __init__(self, message: str, file: str | None = None, line: int | None = None) -> None:
        self.message = message
        self.file = file
        self.line = line
        where = ", ".join(p for p in (file, f"line {line}" if line else None) if p)
        super().__init__(f"{where}: {message}" if where else message)
