"""The numbers shown next to buttons, menus ([N]) and files (#N), and what each one stands for.

A component keeps its number for as long as the chat runs (the same button on a re-rendered or edited message
shows the same number), so ``:click N`` means what the person saw.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from bot.sandbox.state import JSON, Message


@dataclass
class NumberedComponent:
    message_id: int
    custom_id: str
    label: str


def walk_components(items: list[Any]) -> Iterator[JSON]:
    for c in items:
        if isinstance(c, dict):
            yield c
            yield from walk_components(c.get("components") or [])
            if isinstance(c.get("accessory"), dict):
                yield from walk_components([c["accessory"]])
            if isinstance(c.get("component"), dict):
                yield from walk_components([c["component"]])


def find_component(message: Message, custom_id: str) -> JSON | None:
    return next((c for c in walk_components(message.components) if c.get("custom_id") == custom_id), None)


def label(comp: JSON) -> str:
    if comp.get("label"):
        return str(comp["label"])
    emoji = comp.get("emoji")
    if isinstance(emoji, dict) and emoji.get("name"):
        return str(emoji["name"])
    return str(comp.get("placeholder") or comp.get("custom_id") or "?")


class Numbers:
    def __init__(self) -> None:
        self.components: dict[int, NumberedComponent] = {}
        self._component_numbers: dict[tuple[int, str], int] = {}
        self.files: dict[int, tuple[int, int]] = {}  # number -> (message id, attachment index)
        self._file_numbers: dict[int, int] = {}  # attachment id -> number

    def component(self, m: Message, comp: JSON) -> int:
        key = (m.id, str(comp.get("custom_id")))
        n = self._component_numbers.get(key)
        if n is None:
            n = len(self.components) + 1
            self._component_numbers[key] = n
        self.components[n] = NumberedComponent(m.id, key[1], label(comp))
        return n

    def file(self, m: Message, index: int) -> int:
        a = m.attachments[index]
        n = self._file_numbers.get(a.id)
        if n is None:
            n = self._file_numbers[a.id] = len(self.files) + 1
            self.files[n] = (m.id, index)
        return n


__all__ = ["NumberedComponent", "Numbers", "find_component", "label", "walk_components"]
