"""Option values from typed text, checked as Discord's client checks them before sending."""

from __future__ import annotations

import pytest

from bot.sandbox import SandboxServer
from bot.sandbox.demo import DemoWorld
from bot.sandbox.terminal.commandline import CommandLineError
from bot.sandbox.terminal.options import OptionValues
from bot.sandbox.terminal.session import Session


@pytest.fixture
def values(server: SandboxServer, demo: DemoWorld) -> OptionValues:
    return OptionValues(Session(server, demo))


def test_text_numbers_and_booleans(values: OptionValues) -> None:
    text = {"name": "note", "type": 3, "min_length": 2, "max_length": 5}
    assert values.convert(text, "hello") == "hello"
    with pytest.raises(CommandLineError, match="note: at most 5 characters, please \\(6 given\\)"):
        values.convert(text, "hello!")
    with pytest.raises(CommandLineError, match="note: at least 2 characters"):
        values.convert(text, "h")
    count = {"name": "times", "type": 4, "min_value": 1, "max_value": 5}
    assert values.convert(count, "5") == 5
    with pytest.raises(CommandLineError, match=r"times: '2\.5' is not an integer"):
        values.convert(count, "2.5")
    assert values.convert({"name": "ratio", "type": 10}, "2.5") == 2.5
    assert [values.convert({"name": "loud", "type": 5}, v) for v in ("Yes", "off", "1")] == [True, False, True]
    with pytest.raises(CommandLineError, match="loud: say true or false, not 'maybe'"):
        values.convert({"name": "loud", "type": 5}, "maybe")
    size = {"name": "size", "type": 4, "choices": [{"name": "Small box", "value": 1}, {"name": "Large", "value": 2}]}
    assert (values.convert(size, "small BOX"), values.convert(size, "2")) == (1, 2)
    with pytest.raises(CommandLineError, match="attachments cannot be given from the terminal"):
        values.convert({"name": "file", "type": 11}, "x.csv")


def test_people_channels_and_roles_by_name_or_mention(values: OptionValues, demo: DemoWorld) -> None:
    assert values.convert({"name": "who", "type": 6}, "@SAM") is demo.sam
    assert values.convert({"name": "who", "type": 6}, f"<@!{demo.jordan.id}>") is demo.jordan
    with pytest.raises(CommandLineError, match=r"who: no user 'bob' here \(try: .*alex, sam, jordan\)"):
        values.convert({"name": "who", "type": 6}, "bob")
    assert values.convert({"name": "where", "type": 7}, "#Staff") is demo.staff
    assert values.convert({"name": "where", "type": 7}, f"<#{demo.status.id}>") is demo.status
    assert values.convert({"name": "role", "type": 8}, "@support staff") is demo.staff_role
    assert values.convert({"name": "role", "type": 8}, "@everyone").id == demo.guild.id
    mentionable = {"name": "whom", "type": 9}
    assert values.convert(mentionable, "alex") is demo.alex
    assert values.convert(mentionable, "Support Staff") is demo.staff_role
    with pytest.raises(CommandLineError, match="whom: no role 'nobody' \\(roles: @everyone, Support Staff\\)"):
        values.convert(mentionable, "nobody")
