"""Forms (modals): waiting for the bot's answer to an interaction, and filling in the form it opens, field by field.

Each field is asked at its own prompt; a text field is checked as Discord's client checks it (required, length),
a menu takes numbers or names; ``:cancel`` dismisses the form as closing it would.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bot.sandbox.driver import InteractionHandle
from bot.sandbox.server import SandboxServer
from bot.sandbox.state import JSON
from bot.sandbox.terminal.commandline import CommandLineError, choose
from bot.sandbox.terminal.screen import Screen
from bot.sandbox.terminal.session import Session

MODAL = 9  # the interaction response type that opens a form


def modal_fields(components: list[Any]) -> Iterator[tuple[str, JSON]]:
    """(label, input) for each input of a modal: inputs in action rows, or in label components (type 18)."""
    for top in components:
        if not isinstance(top, dict):
            continue
        if top.get("type") == 1:
            for c in top.get("components") or []:
                if isinstance(c, dict) and c.get("custom_id"):
                    yield str(c.get("label") or c.get("custom_id")), c
        elif top.get("type") == 18 and isinstance(top.get("component"), dict):
            c = top["component"]
            label = str(top.get("label") or c.get("label") or c.get("custom_id"))
            if top.get("description"):
                label = f"{label} - {top['description']}"
            yield label, c


class Forms:
    def __init__(self, server: SandboxServer, session: Session, screen: Screen) -> None:
        self.server = server
        self.session = session
        self.screen = screen

    async def await_response(self, handle: InteractionHandle) -> None:
        """Wait for the bot to answer ``handle``; fill in the form if it opened one."""
        bot_name = self.session.driver.bot_user.username
        try:
            rtype = await handle.wait_response(timeout=self.server.interaction_timeout + 0.5)
        except TimeoutError:
            await self.screen.error(f"{bot_name} did not respond (the interaction failed)")
            return
        if rtype == MODAL:
            await self._fill(handle)

    async def _fill(self, handle: InteractionHandle) -> None:
        screen = self.screen
        modal = handle.modal or {}
        await screen.emit(screen.paint(f"» {self.session.driver.bot_user.username} opened a form: "
                                       f"“{modal.get('title')}” (answer each field; :cancel dismisses it)", "33"))
        values: dict[str, str | list[str]] = {}
        for label, comp in modal_fields(modal.get("components") or []):
            cid = str(comp.get("custom_id"))
            answer: str | list[str] | None
            if comp.get("type") == 4:
                answer = await self._ask_text(label, comp)
            elif comp.get("type") == 3:
                answer = await self._ask_choice(label, comp)
            else:
                await screen.note(f"  ({label}: this kind of field cannot be filled from the terminal; left empty)")
                continue
            if answer is None:
                await screen.note("(form dismissed)")
                return
            values[cid] = answer
        submitted = await self.session.driver.submit_modal(self.session.user, handle, values)
        await self.await_response(submitted)

    async def _ask_text(self, label: str, comp: JSON) -> str | None:
        required = bool(comp.get("required", True))
        lo, hi = int(comp.get("min_length") or 0), int(comp.get("max_length") or 4000)
        default = str(comp.get("value") or "")
        paragraph = comp.get("style") == 2
        facts = [f"max {hi} chars"]
        if lo > 1:
            facts.append(f"min {lo}")
        facts.append("required" if required else "optional")
        if default:
            facts.append(f"empty keeps “{default}”")
        if comp.get("placeholder"):
            await self.screen.note(f"  ({comp['placeholder']})")
        if paragraph:
            facts.append("type \\n for a new line")
        prompt = f"  {label} ({', '.join(facts)}): "
        while True:
            text = (await self.screen.ask(prompt)).strip()
            if text == ":cancel":
                return None
            if paragraph:
                text = text.replace("\\n", "\n")
            if not text and default:
                text = default
            if not text:
                if required:
                    await self.screen.error(f"{label} is required")
                    continue
                return ""
            if len(text) > hi or len(text) < lo:
                await self.screen.error(f"{label}: between {lo} and {hi} characters, please ({len(text)} given)")
                continue
            return text

    async def _ask_choice(self, label: str, comp: JSON) -> list[str] | None:
        options: list[JSON] = comp.get("options") or []
        await self.screen.emit("\n".join([f"  {label}:",
                                          *(f"    {i}. {o.get('label')}" for i, o in enumerate(options, 1))]))
        while True:
            text = (await self.screen.ask(f"  {label} (number or name; several: 1,3): ")).strip()
            if text == ":cancel":
                return None
            if not text and not bool(comp.get("required", True)):
                return []
            try:
                return choose(comp, text)
            except CommandLineError as exc:
                await self.screen.error(str(exc))


__all__ = ["Forms", "modal_fields"]
