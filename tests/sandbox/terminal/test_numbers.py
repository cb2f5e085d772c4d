"""The numbers next to components and files: stable for as long as the chat runs, one per thing shown."""

from __future__ import annotations

from bot.sandbox.state import Attachment, Message
from bot.sandbox.terminal.numbers import Numbers, find_component, label


def test_a_component_keeps_its_number_and_files_are_counted_apart() -> None:
    section = {"type": 9, "components": [], "accessory": {"type": 2, "custom_id": "more", "emoji": {"name": "➕"}}}
    menu = {"type": 18, "component": {"type": 3, "custom_id": "os", "placeholder": "Your phone"}}
    first = Message(id=1, channel_id=10, author_id=5, components=[section, menu],
                    attachments=[Attachment(id=7, filename="a.csv", data=b"a")])
    second = Message(id=2, channel_id=10, author_id=5, components=[section],
                     attachments=[Attachment(id=8, filename="b.csv", data=b"b")])
    numbers = Numbers()
    more, os_menu = find_component(first, "more"), find_component(first, "os")
    assert more is not None and os_menu is not None and find_component(first, "gone") is None
    assert (label(more), label(os_menu)) == ("➕", "Your phone")
    assert [numbers.component(first, more), numbers.component(first, os_menu)] == [1, 2]
    assert numbers.component(second, more) == 3  # the same custom_id on another message is another button
    assert numbers.component(first, more) == 1  # shown again (an edit, :history): the same number
    assert numbers.components[3].message_id == 2
    assert [numbers.file(second, 0), numbers.file(first, 0), numbers.file(second, 0)] == [1, 2, 1]
    assert numbers.files == {1: (2, 0), 2: (1, 0)}
