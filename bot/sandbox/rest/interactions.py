"""Answering interactions: the initial callback, then followups and edits through the interaction's webhook."""

from __future__ import annotations

from aiohttp import web

from bot.sandbox.interactions import InteractionRecord
from bot.sandbox.rest.routes import Route, Routes
from bot.sandbox.rest.wire import no_content, read_body, snowflake_param
from bot.sandbox.validation import require_object


class InteractionRoutes(Routes):
    def routes(self) -> list[Route]:
        return [
            ("POST", "/interactions/{interaction_id}/{token}/callback", self.interaction_callback),
            ("POST", "/webhooks/{webhook_id}/{token}", self.webhook_execute),
            ("GET", "/webhooks/{webhook_id}/{token}/messages/{message_id}", self.webhook_get),
            ("PATCH", "/webhooks/{webhook_id}/{token}/messages/{message_id}", self.webhook_edit),
            ("DELETE", "/webhooks/{webhook_id}/{token}/messages/{message_id}", self.webhook_delete),
        ]

    async def interaction_callback(self, request: web.Request) -> web.Response:
        iid = snowflake_param(request, "interaction_id", "interaction")
        body, files = await read_body(request)
        result = await self.interactions.callback(iid, request.match_info["token"], body, files)
        if request.query.get("with_response", "").lower() in ("1", "true"):
            return self.reply(request, result)
        return no_content()

    def _webhook(self, request: web.Request) -> InteractionRecord:
        wid = snowflake_param(request, "webhook_id", "Webhook")
        return self.interactions.by_webhook(wid, request.match_info["token"])

    async def webhook_execute(self, request: web.Request) -> web.Response:
        rec = self._webhook(request)
        body, files = await read_body(request)
        msg = await self.interactions.followup(rec, require_object(body), files)
        if request.query.get("wait", "").lower() in ("1", "true"):
            return self.reply(request, self.world.message_dict(msg))
        return no_content()

    async def webhook_get(self, request: web.Request) -> web.Response:
        rec = self._webhook(request)
        msg = self.interactions.resolve_message(rec, request.match_info["message_id"])
        return self.reply(request, self.world.message_dict(msg))

    async def webhook_edit(self, request: web.Request) -> web.Response:
        rec = self._webhook(request)
        body, files = await read_body(request)
        msg = await self.interactions.edit(rec, request.match_info["message_id"], require_object(body), files)
        return self.reply(request, self.world.message_dict(msg))

    async def webhook_delete(self, request: web.Request) -> web.Response:
        rec = self._webhook(request)
        await self.interactions.delete(rec, request.match_info["message_id"])
        return no_content()


__all__ = ["InteractionRoutes"]
