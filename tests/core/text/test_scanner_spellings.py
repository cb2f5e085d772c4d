from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.devices import luhn_ok
from bot.core.text.scanner import DEVICE_ID_REMOVED, IdScanner

SCANNER = IdScanner()
SERIALS = IdScanner(r"^WR[0-9]{8}$")


def imei(body14: str) -> str:
    return next(body14 + d for d in "0123456789" if luhn_ok(body14 + d))


IMEI = imei("35209900176148")
OTHER = imei("49015420323751")

ZEROS = ["0", "\u0660", "\u06f0", "\u0966", "\u09e6", "\u0e50", "\uff10", "\U0001d7ce", "\U0001d7ec", "\u1040"]
SPACES = [" ", "\u00a0", "\u2009", "\u202f", "\u2007", "\t", "\n", "\r\n", "\u3000", "\u2002"]
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u180e"]
MARKS = ["", "-", ".", ",", "_", "/", "'", ":", "\u2013", "\u2011", "\uff0d", "\uff0e", "*", "**"]
PREFIXES = ["", "imei", "IMEI: ", "my imei is ", "abc", "x", "IMEI#", "(", "serial no. ", "is\n"]
SUFFIXES = ["", "abc", " thanks", ".", "!", " ok", "xyz", ")", "\nthanks", " 🙂"]


@st.composite
def spelled(draw: st.DrawFn, digits: str, mixed: bool = False) -> tuple[str, list[int]]:
    """(text, positions of the number's characters) for digits written the way a person might."""
    cuts = sorted(draw(st.sets(st.integers(1, len(digits) - 1), max_size=len(digits) - 1)))
    groups = [digits[a:b] for a, b in zip([0, *cuts], [*cuts, len(digits)], strict=True)]
    zero = draw(st.sampled_from(ZEROS))
    mixed_digits = draw(st.booleans())
    mark = draw(st.sampled_from(MARKS))
    prefix, suffix = draw(st.sampled_from(PREFIXES)), draw(st.sampled_from(SUFFIXES))
    out = [prefix]
    pos = len(prefix)
    where: list[int] = []
    for n, group in enumerate(groups):
        if n:
            m = draw(st.sampled_from(["-", "_", "", "/"])) if mixed else mark
            before = draw(st.sampled_from(["", *SPACES])) if m else draw(st.sampled_from(SPACES))
            after = draw(st.sampled_from(["", " "])) if m and len(m) == 1 else ""
            gap = before + m + after
            out.append(gap)
            pos += len(gap)
        for d in group:
            z = draw(st.sampled_from(ZEROS)) if mixed_digits else zero
            ch = chr(ord(z) + int(d))
            if draw(st.integers(0, 5)) == 0:
                inv = draw(st.sampled_from(INVISIBLE))
                out.append(inv)
                pos += len(inv)
            out.append(ch)
            where.append(pos)
            pos += len(ch)
    out.append(suffix)
    return "".join(out), where


def covered(scanner: IdScanner, text: str, where: list[int]) -> bool:
    spans = scanner.find(text)
    return all(any(s.start <= p < s.end for s in spans) for p in where)


@settings(max_examples=400)
@given(st.data(), st.text(alphabet="0123456789", min_size=14, max_size=14).filter(lambda s: s != "0" * 14))
def test_obfuscated_imeis_are_always_found(data: st.DataObject, body: str) -> None:
    full = imei(body)
    text, where = data.draw(spelled(full, mixed=data.draw(st.booleans())))
    spans = SCANNER.find(text)
    assert full in [s.device.normalized for s in spans], repr(text)
    assert covered(SCANNER, text, where), repr(text)
    redacted = SCANNER.redact(text)
    assert DEVICE_ID_REMOVED in redacted
    assert not any(ch.isdigit() for ch in redacted.replace(DEVICE_ID_REMOVED, "")), repr(redacted)


@settings(max_examples=300)
@given(st.data(), st.text(alphabet="0123456789", min_size=15, max_size=15).filter(lambda s: not luhn_ok(s)))
def test_obfuscated_non_imeis_are_left_alone(data: st.DataObject, digits: str) -> None:
    text, _ = data.draw(spelled(digits))
    assert SCANNER.find(text) == [], repr(text)
    assert SCANNER.redact(text) == text


@settings(max_examples=200)
@given(st.data(), st.text(alphabet="0123456789", min_size=14, max_size=14))
def test_obfuscated_imeisv_is_found(data: st.DataObject, body: str) -> None:
    sv = body + "23"
    if sv == "0" * 16:
        return
    text, where = data.draw(spelled(sv))
    assert covered(SCANNER, text, where), repr(text)


def test_meid_spellings() -> None:
    for text in ["meid A10000009296F2", "MEIDa10000009296f2xyz", "A1 000000 9296F2", "a1-000000-9296-f2", "ＡＯ"]:
        found = SCANNER.find(text)
        if text == "ＡＯ":
            assert found == []
            continue
        assert [s.device.normalized for s in found] == ["A10000009296F2"], text
    assert SCANNER.redact("MEIDa10000009296f2") == "MEID" + DEVICE_ID_REMOVED


def test_look_alike_letters_inside_a_number() -> None:
    for text in ["352099OO1761481", "3520990Ο176I481", "35209900l76l481"]:  # Latin O, Greek Ο, I, l
        written = text.replace("O", "0").replace("Ο", "0").replace("l", "1").replace("I", "1")
        assert written == IMEI
        assert [s.device.normalized for s in SCANNER.find(text)] == [IMEI]


def test_several_ids_and_allowed_ones_masked() -> None:
    text = f"mine {IMEI} and my wife's {OTHER[:2]} {OTHER[2:8]} {OTHER[8:14]} {OTHER[14]}"
    assert [s.device.normalized for s in SCANNER.find(text)] == [IMEI, OTHER]
    assert SCANNER.redact(text, allowed=[IMEI]) == f"mine ****1481 and my wife's {DEVICE_ID_REMOVED}"


def test_imei_with_software_version() -> None:
    spans = SCANNER.find(f"IMEI {IMEI}/01 here")
    assert [s.text for s in spans] == [f"{IMEI}/01"]


def test_id_inside_a_longer_run_is_found() -> None:
    # padding digits around an ID (an LLM trying to hide it) do not hide it
    for text in [f"12 {IMEI} 34", f"{IMEI} 2026", f"7 7 {IMEI[:2]} {IMEI[2:8]} {IMEI[8:]}"]:
        assert IMEI in [s.device.normalized for s in SCANNER.find(text)], text


@pytest.mark.parametrize(
    "text",
    [
        "Call me on 555-123-4567 or +1 (555) 123 4567",
        "call +44 7700 900123, 07700 900456 or 0044 7700 900123",
        "It broke on 2026-11-29 at 14:30:00, and again 2026/11/30 - 2026/12/01",
        "on 12/10/2026 at 2:30pm; 29.11.2026 17.00; 11/29/2026 5:45 PM",
        "order 123456789012345 failed",  # 15 digits, Luhn fails
        "ticket #12345678901234 and ref 1234567890",
        "a bad decade, added a face to the cafe; deadbeef cafe babe",
        "version 1.2.3.4.5.6.7.8.9.10.11.12",
        "555 123 4567 555 987 6543",
        "prices: 12.50, 13.75, 9.99, 10.00 and 1,299.99",
        "slots 10:30, 11:45, 12:15, 13:00, 14:20, 15:05",
        "from 09:00 to 17:30 on 2026-11-29, then 2026-11-30 08:00-12:00",
        "refund of $1,234.56 on order 4455-6677-8899",
        "1" * 2000,
        " ".join("123" for _ in range(700)),
        "sha a3f5c9e1b2d4f6a8c0e2 and uuid 123e4567-e89b-12d3-a456-426614174000",
    ],
)
def test_ordinary_numbers_are_left_alone(text: str) -> None:
    assert SCANNER.find(text) == []
    assert SCANNER.redact(text) == text


def test_two_thousand_random_digits_are_not_eaten() -> None:
    rng = random.Random(7)
    text = "".join(rng.choice("0123456789") for _ in range(2000))
    assert SCANNER.find(text) == []


@pytest.mark.parametrize(
    "text",
    ["serial WR12345678", "serial wr 1234 5678", "WR-1234-5678", "ｗｒ１２３４５６７８", "sn:WR\u200b12345678xyz"],
)
def test_serial_pattern_however_spelled(text: str) -> None:
    found = SERIALS.find(text)
    assert [(s.device.kind, s.device.normalized) for s in found] == [("serial", "WR12345678")], text
    assert "1234" not in SERIALS.redact(text)


def test_serial_pattern_does_not_eat_longer_numbers() -> None:
    assert SERIALS.find("WR123456789") == []
    assert SCANNER.find("serial WR12345678") == []  # no pattern configured


@settings(max_examples=200)
@given(st.text(alphabet="0123456789 -:/.,\u00a0\u200bab", max_size=60))
def test_spans_are_exact_substrings_of_the_original(text: str) -> None:
    for span in SCANNER.find(text):
        assert text[span.start : span.end] == span.text
        assert span.text[0] not in " -:/.,"


WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


@pytest.mark.parametrize(
    "text",
    [
        " ".join(WORDS[int(c)] for c in IMEI),
        "my imei is " + ", ".join(WORDS[int(c)] for c in IMEI) + " thanks",
        IMEI[:2] + " " + "-".join(WORDS[int(c)] for c in IMEI[2:]),
        f"||{IMEI[:6]}||{IMEI[6:]}",  # a spoiler in the middle
        f"> {IMEI[:6]}\n> {IMEI[6:]}",  # a quote across two lines
        "3️⃣5️⃣2️⃣0️⃣9️⃣9️⃣0️⃣0️⃣1️⃣7️⃣6️⃣1️⃣4️⃣8️⃣1️⃣",  # keycap emoji
        "③⑤②⓪⑨⑨⓪⓪①⑦⑥①④⑧①",  # circled digits
    ],
)
def test_numbers_read_out_or_decorated_are_found(text: str) -> None:
    assert [s.device.normalized for s in SCANNER.find(text)] == [IMEI], text


@pytest.mark.parametrize(
    "text",
    [
        "I have one two three questions and four five six seven eight nine apples",
        "one, two, three, four, five, six, seven, eight, nine, zero, one, two, three, four, five",  # Luhn fails
    ],
)
def test_counting_in_words_is_not_an_id(text: str) -> None:
    assert SCANNER.find(text) == []


@st.composite
def ordinary_numbers(draw: st.DrawFn) -> str:
    """A sentence of dates, times, phone numbers, prices and order numbers, as customers write them."""
    y, mo, d = draw(st.integers(1990, 2030)), draw(st.integers(1, 12)), draw(st.integers(1, 28))
    h, mi = draw(st.integers(0, 23)), draw(st.integers(0, 59))
    pieces = [
        draw(st.sampled_from([f"{y}-{mo:02d}-{d:02d}", f"{d:02d}/{mo:02d}/{y}", f"{mo}/{d}/{y}", f"{d}.{mo}.{y}"])),
        draw(
            st.sampled_from([f"{h:02d}:{mi:02d}", f"{h % 12 or 12}:{mi:02d} pm", f"{h:02d}.{mi:02d}", f"{h}h{mi:02d}"])
        ),
        draw(st.sampled_from([
            f"+{draw(st.integers(1, 99))} {draw(st.integers(100, 999))} {draw(st.integers(100, 999))} "
            f"{draw(st.integers(1000, 9999))}",
            f"({draw(st.integers(200, 999))}) {draw(st.integers(200, 999))}-{draw(st.integers(1000, 9999))}",
            f"0{draw(st.integers(1000, 9999))} {draw(st.integers(100000, 999999))}",
        ])),
        draw(st.sampled_from([f"${draw(st.integers(1, 99999)):,}.{draw(st.integers(0, 99)):02d}",
                              f"{draw(st.integers(1, 9999))} EUR"])),
        f"order #{draw(st.integers(10**5, 10**12))}",
    ]
    order = draw(st.permutations(pieces))
    joiners = draw(st.lists(st.sampled_from([" ", ", ", " on ", " at ", " - ", "; ", "\n"]), min_size=4, max_size=4))
    return order[0] + "".join(j + p for j, p in zip(joiners, order[1:], strict=True))


@settings(max_examples=400)
@given(ordinary_numbers())
def test_ordinary_numbers_in_any_order_are_never_ids(text: str) -> None:
    assert SCANNER.find(text) == [], repr(text)
