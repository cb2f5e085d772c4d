"""Device IDs found in free text, and redacted."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.devices import luhn_ok
from bot.core.text.scanner import DEVICE_ID_REMOVED, find_device_ids, redact_device_ids


def imei(body14: str) -> str:
    return next(body14 + d for d in "0123456789" if luhn_ok(body14 + d))


IMEI = imei("35209900176148")  # 352099001761481


@pytest.mark.parametrize(
    "written",
    [
        IMEI,
        "35-209900-176148-1",
        "35 209900 176148 1",
        "35.209900.176148.1",
        "3520 9900 1761 481",
        "\uff13\uff15209900176148\uff11",  # fullwidth digits
        f"{IMEI}/01",
    ],
)
def test_finds_imei_forms(written: str) -> None:
    text = f"Hi, my IMEI: {written}. Thanks"
    spans = find_device_ids(text)
    assert [s.device.normalized for s in spans] == [IMEI]
    assert spans[0].text == written
    assert text[spans[0].start : spans[0].end] == written


def test_finds_several_and_meid() -> None:
    other = imei("49015420323751")
    text = f"IMEI{IMEI} and {other}, meid A10000009296F2 and a10000009296f2."
    found = [(s.device.kind, s.device.normalized) for s in find_device_ids(text)]
    assert found == [
        ("imei", IMEI),
        ("imei", other),
        ("meid", "A10000009296F2"),
        ("meid", "A10000009296F2"),
    ]
    assert [s.device.normalized for s in find_device_ids(f"{IMEI} {other}")] == [IMEI, other]


def test_serial_pattern() -> None:
    assert find_device_ids("serial LK-2009-ABCD") == []
    spans = find_device_ids("serial LK2009ZZ12", serial_pattern=r"LK\d{4}[A-Z]{2}\d{2}")
    assert [s.device.kind for s in spans] == []  # has letters outside hex: not a candidate run
    spans = find_device_ids("serial 20091234567", serial_pattern=r"2009\d{7}")
    assert [(s.device.kind, s.text) for s in spans] == [("serial", "20091234567")]


@pytest.mark.parametrize(
    "text",
    [
        "Call me on 555-123-4567 or +1 (555) 123 4567",
        "call 07700 900123 or 0044 7700 900123",
        "It broke on 2009-10-12 at 14:30:00",
        "on 12/10/2009 at 2:30pm",
        "order 123456789012345 failed",  # 15 digits, Luhn fails
        "ticket #12345678901234",  # 14 digits
        "a bad decade, added a face to the cafe",
        "deadbeef cafe babe",
        "version 1.2.3.4.5.6.7",
        "555 123 4567 555 987 6543",
    ],
)
def test_no_false_positives(text: str) -> None:
    assert find_device_ids(text) == []
    assert redact_device_ids(text) == text


@given(st.text(alphabet="0123456789", min_size=15, max_size=15).filter(lambda s: not luhn_ok(s)))
def test_luhn_failures_are_not_imeis(digits: str) -> None:
    assert find_device_ids(f"number {digits} here") == []
    assert find_device_ids(f"{digits[:2]}-{digits[2:8]}-{digits[8:14]}-{digits[14]}") == []


@given(
    st.text(alphabet="0123456789", min_size=14, max_size=14).filter(lambda s: s != "0" * 14),
    st.sampled_from([" ", "-", "", "."]),
    st.text(alphabet="abc xyz,.!?", max_size=20),
)
def test_valid_imeis_are_found(body: str, sep: str, noise: str) -> None:
    full = imei(body)
    written = sep.join([full[:2], full[2:8], full[8:14], full[14]])
    text = f"{noise} {written} {noise}"
    spans = find_device_ids(text)
    assert [s.device.normalized for s in spans] == [full]
    assert full not in redact_device_ids(text).replace(" ", "").replace("-", "").replace(".", "")


@settings(max_examples=200)
@given(st.text(alphabet="0123456789 -:/.", max_size=40))
def test_found_ids_are_exact_substrings(text: str) -> None:
    for span in find_device_ids(text):
        assert text[span.start : span.end] == span.text
        assert len(span.device.normalized) in (14, 15, 16)


def test_redaction() -> None:
    other = imei("49015420323751")
    text = f"Yours is {IMEI}; IMEI: {other}"
    assert redact_device_ids(text, {IMEI}) == f"Yours is ****1481; IMEI: {DEVICE_ID_REMOVED}"
    assert redact_device_ids(text) == f"Yours is {DEVICE_ID_REMOVED}; IMEI: {DEVICE_ID_REMOVED}"
    assert redact_device_ids("35-209900-176148-1", [IMEI]) == "****1481"
