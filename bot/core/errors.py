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
