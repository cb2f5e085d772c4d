from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.devices import HOW_TO_FIND, InvalidDeviceId, luhn_ok, parse_device_id

VALID_IMEI = "490154203237518"
VALID_IMEI_2 = "352099001761481"


def luhn_complete(body: str, base: int = 10) -> str:
    for d in "0123456789ABCDEF"[:base]:
        if luhn_ok(body + d, base):
            return body + d
    raise AssertionError


@pytest.mark.parametrize(
    ("raw", "kind", "normalized"),
    [
        (VALID_IMEI, "imei", VALID_IMEI),
        ("  490154203237518\n", "imei", VALID_IMEI),
        ("IMEI: 490154203237518", "imei", VALID_IMEI),
        ("imei#490154203237518", "imei", VALID_IMEI),
        ("Imei 49-015420-323751-8", "imei", VALID_IMEI),
        ("IMEI : # 490154203237518", "imei", VALID_IMEI),
        ("49 015420 323751 8", "imei", VALID_IMEI),
        ("49.015420.323751.8", "imei", VALID_IMEI),
        ("49\u2010015420\u2013323751\u20158", "imei", VALID_IMEI),  # Unicode dashes
        ("49\u2011015420-323751-8", "imei", VALID_IMEI),  # non-breaking hyphen, NFKC -> U+2010
        ("４９０１５４２０３２３７５１８", "imei", VALID_IMEI),  # full-width digits (NFKC)
        ("352099001761481/23", "imei", VALID_IMEI_2),  # IMEI + software version suffix
        ("IMEISV 3520990017614823", "imeisv", "3520990017614823"),
        ("35-209900-176148-23", "imeisv", "3520990017614823"),
        ("AF0123450ABCDE", "meid", "AF0123450ABCDE"),
        ("af0123450abcde", "meid", "AF0123450ABCDE"),
        ("MEID: A0 000000 002329", "meid", "A0000000002329"),
        ("AF0123450ABCDEC", "meid", "AF0123450ABCDE"),  # hex Luhn check digit C verified and dropped
        ("meid af0123450abcdec", "meid", "AF0123450ABCDE"),
        ("\u00a0490154203237518\u3000", "imei", VALID_IMEI),  # no-break and ideographic spaces
    ],
)
def test_valid_forms(raw: str, kind: str, normalized: str) -> None:
    dev = parse_device_id(raw)
    assert dev.kind == kind
    assert dev.normalized == normalized


@pytest.mark.parametrize(
    ("raw", "rule", "words"),
    [
        ("", "empty", "empty"),
        ("   \t ", "empty", "empty"),
        ("IMEI:", "empty", "no number"),
        ("490154203237519", "luhn", "check digit"),
        ("000000000000000", "zero", "placeholder"),
        ("0000000000000000", "zero", "placeholder"),  # an all-zero IMEISV
        ("49015420323751", "length", "14 digits"),
        ("4901542032375", "length", "13 digits"),
        ("49015420323751812", "length", "17 digits"),
        ("270113177609606778", "length", "18-digit decimal MEID"),
        ("1234567890ABCD", "meid-prefix", "A0 and FF"),
        ("AF0123450ABCDE1", "meid-check", "check digit"),
        ("AF0123450ABC", "length", "MEID has 14"),
        ("A" * 65, "length", "at most 64"),
        ("49015420323751８x", "charset", "'X'"),
        ("٤٩٠١٥٤٢٠٣٢٣٧٥١٨", "ascii", "cannot be part"),  # Arabic-Indic digits
        ("490154203237518; DROP TABLE devices;--", "charset", "only digits"),
        ("**490154203237518**", "charset", "'*'"),
        ("`490154203237518`", "charset", "'`'"),
        ("<@123> 490154203237518", "charset", "'<'"),
        ("352099001761481 / 23", "length", "17 digits"),
    ],
)
def test_invalid_forms_explain_and_point_to_star_hash_06(raw: str, rule: str, words: str) -> None:
    with pytest.raises(InvalidDeviceId) as info:
        parse_device_id(raw)
    assert info.value.rule == rule
    assert words in str(info.value)
    assert "*#06#" in str(info.value)
    assert str(info.value).endswith(HOW_TO_FIND)


def test_ten_megabyte_string_is_refused_quickly() -> None:
    with pytest.raises(InvalidDeviceId) as info:
        parse_device_id("4" * 10_000_000)
    assert info.value.rule == "length"


def test_label_needs_a_separator_and_is_dropped_once() -> None:
    with pytest.raises(InvalidDeviceId):
        parse_device_id("IMEI490154203237518")
    with pytest.raises(InvalidDeviceId):
        parse_device_id("IMEI: IMEI: 490154203237518")


def test_serial_pattern_accepts_vendor_serials_only_when_configured() -> None:
    pattern = r"HT[0-9]{2}[A-Z]{2}[0-9]{6}"
    with pytest.raises(InvalidDeviceId):
        parse_device_id("HT09AB123456")
    dev = parse_device_id("  ht09AB123456 ".upper(), pattern)
    assert (dev.kind, dev.normalized) == ("serial", "HT09AB123456")
    # a real IMEI is still an IMEI when a serial pattern exists
    assert parse_device_id(VALID_IMEI, r"\d{15}").kind == "imei"
    with pytest.raises(InvalidDeviceId):
        parse_device_id("HT09AB12345", pattern)


def test_repr_and_str_are_masked() -> None:
    dev = parse_device_id(VALID_IMEI)
    assert VALID_IMEI not in repr(dev)
    assert VALID_IMEI not in str(dev)
    assert f"{dev}".endswith("7518')")
    assert dev.masked == "****7518"


@given(st.text(max_size=80))
def test_anything_either_parses_or_raises_invalid(raw: str) -> None:
    try:
        dev = parse_device_id(raw)
    except InvalidDeviceId as exc:
        assert str(exc)
    else:
        assert dev.normalized.isascii() and dev.normalized.isalnum()
        assert dev.kind in ("imei", "imeisv", "meid")


@given(st.from_regex(r"[0-9]{14}", fullmatch=True), st.sampled_from(["", " ", "-", ".", "\u2012"]))
def test_every_luhn_valid_imei_parses_whatever_the_separators(body: str, sep: str) -> None:
    imei = luhn_complete(body)
    raw = sep.join([imei[:2], imei[2:8], imei[8:14], imei[14]])
    if imei == "0" * 15:
        with pytest.raises(InvalidDeviceId):
            parse_device_id(raw)
        return
    dev = parse_device_id(raw)
    assert (dev.kind, dev.normalized) == ("imei", imei)


@given(st.from_regex(r"[0-9]{14}", fullmatch=True), st.integers(1, 9))
def test_a_single_wrong_check_digit_is_caught(body: str, delta: int) -> None:
    imei = luhn_complete(body)
    wrong = imei[:14] + str((int(imei[14]) + delta) % 10)
    with pytest.raises(InvalidDeviceId) as info:
        parse_device_id(wrong)
    assert info.value.rule == "luhn"


@given(st.from_regex(r"[A-F][0-9A-F]{13}", fullmatch=True))
def test_meid_with_and_without_hex_check_digit(meid: str) -> None:
    with_check = luhn_complete(meid, 16)
    assert parse_device_id(meid.lower()).normalized == meid
    assert parse_device_id(with_check).normalized == meid
