"""No device ID leaves the bot: every outgoing Discord payload passes the scanner.

`install_publish_guard` wraps the bot's REST client (messages, edits, embeds, thread names)
and the webhook adapter discord.py uses for interaction responses and followups, so a code
path that forgot to redact still cannot publish a device ID. Each removal is logged (without
the number) and counted: it means some earlier boundary missed one.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import discord
from discord.webhook.async_ import AsyncWebhookAdapter, async_context

from bot.core.text.publish import redact_payload
from bot.core.text.scanner import IdScanner

log = logging.getLogger(__name__)
_WRITES = frozenset({"POST", "PATCH", "PUT"})


class PublishGuard:
    def __init__(self, scanner: IdScanner) -> None:
        self.scanner = scanner
        self.removed = 0  # strings that still held a device ID at the last boundary

    def clean_json(self, payload: Any, where: str) -> Any:
        cleaned, changed = redact_payload(payload, self.scanner)
        if changed:
            self.removed += changed
            log.warning("removed a device ID from an outgoing payload (%s); an earlier check missed it", where)
        return cleaned

    def clean_form(self, form: Any, where: str) -> Any:
        if form is None:
            return None
        out = []
        for item in form:
            if isinstance(item, dict) and item.get("name") == "payload_json" and isinstance(item.get("value"), str):
                payload = self.clean_json(json.loads(item["value"]), where)
                item = {**item, "value": json.dumps(payload, separators=(",", ":"), ensure_ascii=True)}
            out.append(item)
        return out


class _GuardedAdapter(AsyncWebhookAdapter):
    def __init__(self, guard: PublishGuard) -> None:
        super().__init__()
        self._guard = guard

    async def request(self, route: Any, session: Any, *, payload: Any = None, multipart: Any = None,
                      **kwargs: Any) -> Any:
        if route.method in _WRITES:
            where = f"{route.method} webhook"
            payload = self._guard.clean_json(payload, where) if payload is not None else None
            multipart = self._guard.clean_form(multipart, where)
        return await super().request(route, session, payload=payload, multipart=multipart, **kwargs)


def install_publish_guard(client: discord.Client, scanner: IdScanner) -> PublishGuard:
    """Guard client's REST requests, and (for the calling task and what it starts) interaction replies."""
    guard = PublishGuard(scanner)
    http = client.http
    original = http.request

    async def request(route: discord.http.Route, **kwargs: Any) -> Any:
        if route.method in _WRITES and not route.path.startswith("/applications/"):
            where = f"{route.method} {route.path}"
            if "json" in kwargs and kwargs["json"] is not None:
                kwargs["json"] = guard.clean_json(kwargs["json"], where)
            if kwargs.get("form") is not None:
                kwargs["form"] = guard.clean_form(kwargs["form"], where)
        return await original(route, **kwargs)

    http.request = request  # type: ignore[method-assign]
    async_context.set(_GuardedAdapter(guard))
    return guard
