"""The REST API of the sandbox Discord: ``api`` (middleware and the route table), one module per area of routes
(``users``, ``messages``, ``threads``, ``guilds``, ``commands``, ``interactions``), ``wire`` for Discord's
request and response conventions."""

from bot.sandbox.rest.api import RestApi
from bot.sandbox.rest.wire import API_PREFIX

__all__ = ["API_PREFIX", "RestApi"]
