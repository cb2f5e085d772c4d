"""Counts read as English: "1 customer", "2 customers", "1 person", "3 people"."""

from __future__ import annotations

from bot.core.text.wording import noun, plural


def test_one_is_singular_and_everything_else_plural() -> None:
    assert [plural(n, "customer") for n in (0, 1, 2)] == ["0 customers", "1 customer", "2 customers"]
    assert plural(1, "person") == "1 person" and plural(3, "person") == "3 people"
    assert plural(2, "entry") == "2 entries" and plural(2, "day") == "2 days"
    assert plural(2, "rated answer") == "2 rated answers" and plural(2, "cactus", "cacti") == "2 cacti"
    assert noun(1, "person") == "person" and noun(5, "person") == "people"
