"""Device IDs in free text: found (IMEI, IMEISV, MEID, serial) and redacted.

One place decides what counts as a device ID in prose; everything that shows, stores or sends
text a customer wrote goes through `redact_device_ids`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.core.devices import DeviceId, InvalidDeviceId, parse_device_id

__all__ = ["DEVICE_ID_REMOVED", "Span", "find_device_ids", "redact_device_ids"]

DEVICE_ID_REMOVED = "[device ID removed]"
_HEXCH = r"[0-9A-Fa-f\uff10-\uff19]"
# Runs of hex-digit groups joined by single separators; a label glued to digits still counts.
_CANDIDATE = re.compile(
    rf"(?:(?<![0-9A-Za-z])|(?<=imei)|(?<=meid)|(?<=imeisv))"
    rf"{_HEXCH}+(?:(?:[ \-./\u2010-\u2015]){_HEXCH}+)*"
    rf"(?![0-9A-Za-z])",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    text: str
    device: DeviceId


def _parse(candidate: str, serial_pattern: str | re.Pattern[str] | None, imei_only: bool = False) -> DeviceId | None:
    digits = sum(ch.isdigit() for ch in candidate)
    if digits < 6:  # English words made of a-f letters are never device IDs
        return None
    try:
        device = parse_device_id(candidate, serial_pattern)
    except InvalidDeviceId:
        return None
    return None if imei_only and device.kind != "imei" else device


def find_device_ids(text: str, serial_pattern: str | re.Pattern[str] | None = None) -> list[Span]:
    """Substrings of text that are valid device IDs (IMEI, IMEISV, MEID, serial).

    A run of groups ("35 209900 176148 1") is tried whole first; if it is not an ID,
    each window of its space-separated tokens is tried, longest first, left to right,
    and only a Luhn-checked IMEI is accepted there (a 16-digit IMEISV has no check digit,
    so "555 123 4567 555 987" would pass).
    """
    found: list[Span] = []
    for m in _CANDIDATE.finditer(text):
        device = _parse(m.group(0), serial_pattern)
        if device is not None:
            found.append(Span(m.start(), m.end(), m.group(0), device))
            continue
        tokens = [(t.start() + m.start(), t.end() + m.start()) for t in re.finditer(r"\S+", m.group(0))]
        taken: list[tuple[int, int]] = []
        for size in range(len(tokens) - 1, 0, -1):
            for i in range(len(tokens) - size + 1):
                start, end = tokens[i][0], tokens[i + size - 1][1]
                if any(s < end and start < e for s, e in taken):
                    continue
                device = _parse(text[start:end], serial_pattern, imei_only=True)
                if device is not None:
                    taken.append((start, end))
                    found.append(Span(start, end, text[start:end], device))
    return sorted(found, key=lambda s: s.start)


def redact_device_ids(
    text: str, allowed: Iterable[str] = (), serial_pattern: str | re.Pattern[str] | None = None
) -> str:
    """Show allowed IDs (normalised form) masked ("****1481"), remove every other one."""
    allowed_set = set(allowed)
    out: list[str] = []
    pos = 0
    for span in find_device_ids(text, serial_pattern):
        out.append(text[pos : span.start])
        out.append(span.device.masked if span.device.normalized in allowed_set else DEVICE_ID_REMOVED)
        pos = span.end
    out.append(text[pos:])
    return "".join(out)
