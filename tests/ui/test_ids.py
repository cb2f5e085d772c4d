from __future__ import annotations

import pytest

from bot.ui.ids import MAX_ID, parse_id


@pytest.mark.parametrize("text", ["1", "42", str(MAX_ID), "1576701012343914496"])
def test_ids_that_fit_a_64_bit_column_are_read(text: str) -> None:
    assert parse_id(text) == int(text)


@pytest.mark.parametrize("text", ["", "0", "-1", str(MAX_ID + 1), "9" * 25, "١٢", "1e3", " 1"])
def test_anything_else_is_refused(text: str) -> None:
    assert parse_id(text) is None
