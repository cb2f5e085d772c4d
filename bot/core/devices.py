"""Device identifiers: parsing and validation of IMEI, IMEISV, MEID (and vendor serials).

`parse_device_id` is the only way a device ID enters the system. Its error
messages are written for the customer: what is wrong and how to find the
right number.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

DeviceKind = Literal["imei", "imeisv", "meid", "serial"]

MAX_LENGTH = 64
# Anything this long cannot become a device ID, whatever normalisation does; refusing it
# before NFKC keeps a 10 MB paste from costing anything.
_HARD_LIMIT = 1024

HOW_TO_FIND = (
    "To find it, dial *#06# on the phone, or look on the label under the battery "
    "or on the original box."
)

_LABEL = re.compile(r"^(?:imeisv|imei|meid)(?:[\s:#]+)", re.IGNORECASE)
_IMEI_WITH_SV = re.compile(r"^(\d{15})/(\d{2})$")
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015./]+")
_HEX = frozenset("0123456789ABCDEF")


class InvalidDeviceId(ValueError):
    """The text is not a device ID. `str(exc)` is a message for the customer; `rule` says which check failed."""

    def __init__(self, message: str, rule: str) -> None:
        super().__init__(message)
        self.rule = rule


@dataclass(frozen=True, slots=True)
class DeviceId:
    kind: DeviceKind
    normalized: str

    @property
    def tail(self) -> str:
        return self.normalized[-4:]

    @property
    def masked(self) -> str:
        return mask_tail(self.tail)

    def __repr__(self) -> str:  # never print a whole device ID into a log by accident
        return f"DeviceId(kind={self.kind!r}, normalized={self.masked!r})"

    __str__ = __repr__


def mask_tail(tail: str) -> str:
    return "****" + tail


def luhn_ok(digits: str, base: int = 10) -> bool:
    """Luhn (mod base) check over a string whose last character is the check digit."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch, base)
        if i % 2 == 1:
            d *= 2
            if d >= base:
                d -= base - 1
        total += d
    return total % base == 0


def _fail(message: str, rule: str) -> InvalidDeviceId:
    return InvalidDeviceId(f"{message} {HOW_TO_FIND}", rule)


def parse_device_id(raw: str, serial_pattern: str | re.Pattern[str] | None = None) -> DeviceId:
    """Validate and normalise a device ID typed by a customer.

    Raises InvalidDeviceId with a customer-facing message when the text is not a valid
    IMEI, IMEISV or MEID (or, when `serial_pattern` is given, a vendor serial number).
    """
    if not isinstance(raw, str):
        raise _fail("Please type the device ID as text.", "type")
    if len(raw) > _HARD_LIMIT:
        raise _fail("That is far too long to be a device ID.", "length")
    text = unicodedata.normalize("NFKC", raw).strip()
    if not text:
        raise _fail(
            "That was empty. Please type your phone's IMEI (15 digits) or MEID (14 characters).", "empty"
        )
    if len(text) > MAX_LENGTH:
        raise _fail(
            f"That is {len(text)} characters long; a device ID is at most {MAX_LENGTH}.", "length"
        )
    try:
        return _parse_standard(text)
    except InvalidDeviceId:
        if serial_pattern is not None and re.fullmatch(serial_pattern, text):
            return DeviceId("serial", text.upper())
        raise


def _parse_standard(text: str) -> DeviceId:
    body = _LABEL.sub("", text, count=1)
    with_sv = _IMEI_WITH_SV.match(body)
    body = with_sv.group(1) if with_sv else _SEPARATORS.sub("", body)
    if not body:
        raise _fail("There is no number after the label.", "empty")
    if not body.isascii():
        odd = next(ch for ch in body if not ch.isascii())
        raise _fail(
            f"It contains {odd!r}, which cannot be part of a device ID: "
            "use only the digits 0-9 (and the letters A-F for an MEID).",
            "ascii",
        )
    upper = body.upper()
    if body.isdigit():
        return _parse_digits(body)
    if all(ch in _HEX for ch in upper):
        return _parse_meid(upper)
    odd = next(ch for ch in upper if ch not in _HEX)
    raise _fail(
        f"It contains {odd!r}: an IMEI has only digits, and an MEID only digits and the letters A-F.",
        "charset",
    )


def _parse_digits(digits: str) -> DeviceId:
    n = len(digits)
    if n == 15:
        if not luhn_ok(digits):
            raise _fail(
                "That IMEI's last digit (its check digit) does not match the others, so a digit is "
                "probably mistyped. Please check it again.",
                "luhn",
            )
        if digits == "0" * 15:
            raise _fail("000000000000000 is a placeholder, not a real IMEI.", "zero")
        return DeviceId("imei", digits)
    if n == 16:
        if digits == "0" * 16:
            raise _fail("0000000000000000 is a placeholder, not a real IMEISV.", "zero")
        return DeviceId("imeisv", digits)
    if n == 14:
        raise _fail(
            "That has 14 digits: an IMEI has 15, so the last digit may be missing "
            "(an MEID of 14 characters always contains a letter A-F).",
            "length",
        )
    if n == 18:
        raise _fail(
            "That looks like an 18-digit decimal MEID; please use the 14-character hexadecimal "
            "MEID instead (it starts with A0-FF).",
            "length",
        )
    raise _fail(
        f"That has {n} digits; an IMEI has 15 (16 with the software version).", "length"
    )


def _parse_meid(hexstr: str) -> DeviceId:
    n = len(hexstr)
    if n not in (14, 15):
        raise _fail(
            f"That has {n} characters; an MEID has 14 (15 with its check digit).", "length"
        )
    if int(hexstr[:2], 16) < 0xA0:
        raise _fail(
            "That is not a valid MEID: an MEID's first two characters are between A0 and FF.",
            "meid-prefix",
        )
    if n == 15:
        if not luhn_ok(hexstr, 16):
            raise _fail(
                "That MEID's last character (its check digit) does not match the others, so a "
                "character is probably mistyped. Please check it again.",
                "meid-check",
            )
        hexstr = hexstr[:14]
    return DeviceId("meid", hexstr)
