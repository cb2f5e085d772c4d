"""The exts are tested as the e2e tests run them: the product bot, unpatched, against the sandbox."""

from tests.e2e.conftest import server, start_bot, world

__all__ = ["server", "start_bot", "world"]  # fixtures, shared with tests/e2e rather than copied
