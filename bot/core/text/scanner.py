"""The one device-ID scanner: IMEI, IMEISV, MEID and vendor serials, however they are spelled.

Built once from settings (`IdScanner.from_settings`) and used at every boundary: what
customers post (created and edited), what goes to the LLM and comes back, what the bot
publishes, caches, logs and audits.

How it reads text:
1. Fold it (`bot.core.text.normalize`): every Unicode digit becomes ASCII, zero-width and
   format characters go, full-width and mathematical digits become plain ones, look-alike
   letters next to digits ("O" for 0; "l", "I" for 1 between two digits) count as the
   digits they imitate.
2. Find runs of digits (and, for MEIDs, hex digits) joined across the separators a person
   skips when reading a number: spaces of every width, tabs, a line break, "-", ".", ",",
   "_", "/", "'" (at most 6 characters, at most 2 of them not spaces). Letters glued to a
   number ("imei352099001761481abc") end the run but do not hide the number.
3. Validate: a candidate is a device ID only if `parse_device_id` accepts it (Luhn check
   digit for an IMEI, A0-FF prefix and check digit for an MEID, the configured serial
   pattern). A run longer than an ID is searched for a 15-digit window with a valid check
   digit that starts and ends at a group boundary. A 16-digit IMEISV has no check digit,
   so it is accepted only as a whole run or a whole group, and not when the run has the
   shape of a date. Ordinary numbers (dates, times, phone and order numbers, prices, a
   pasted block of 2,000 digits) are left alone.
4. A number read out digit by digit in words ("three five two zero ...") is joined and
   validated the same way.

Spans are reported in the ORIGINAL text, so redaction removes exactly what the reader saw.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.core.devices import DeviceId, InvalidDeviceId, parse_device_id
from bot.core.text.normalize import Folded, fold

__all__ = ["DEVICE_ID_REMOVED", "IdScanner", "IdSpan"]

DEVICE_ID_REMOVED = "[device ID removed]"

_SEP = frozenset(" -.,_/'’·:*~`()|>")  # spaces, punctuation, and Markdown (bold, code, spoiler, quote)
_MAX_GAP = 6
_MAX_GAP_MARKS = 2
_DIGITS = re.compile(r"[0-9]+")
_HEX = re.compile(r"[0-9a-f]*[0-9][0-9a-f]*")  # a group without a digit is a word, not part of an MEID
# look-alike letters standing between two digits count as the digit ("35209900l761481")
_SANDWICH = re.compile(r"(?<=[0-9])[oli]{1,2}(?=[0-9])|(?<=[0-9])o{1,6}|o{1,6}(?=[0-9])")
_SANDWICH_DIGIT = {"o": "0", "l": "1", "i": "1"}
_WORD_DIGITS = {
    "zero": "0", "oh": "0", "nought": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
    "six": "6", "seven": "7", "eight": "8", "nine": "9",
}
_WORD = "(?:" + "|".join(_WORD_DIGITS) + ")"
# a number read out digit by digit: "three five two zero nine nine ..."
_SPOKEN = re.compile(rf"\b(?:{_WORD}|[0-9]{{1,6}})(?:[\s,.\-]{{1,3}}(?:{_WORD}|[0-9]{{1,6}}))+\b")
_LABELS = re.compile(r"imeisv|imei|meid|esn|serial|device|number|code")
_LEADS = frozenset("+$€£¥#№")
_PHONE_DIGITS = 13
_ID_LABEL_BEFORE = re.compile(r"(?:imeisv|imei|meid|esn|serial|sn|device|id)[\s:.]*$")
_UNIT = re.compile(
    r"\s?(?:%|(?:eur|euros?|usd|dollars?|gbp|pounds?|am|pm|h|hrs?|hours?|mins?|minutes?|days?|kg|gb|mb)\b)"
)
_MEID_LABEL = re.compile(r"meid|esn")
_YEAR = re.compile(r"(?:19|20)\d\d")
_SIX_DIGITS = re.compile(r"(?:[^0-9]*[0-9]){6}")  # fewer ASCII digits than this: only spoken IDs can be here


@dataclass(frozen=True, slots=True)
class IdSpan:
    """A device ID found in text: text[start:end] of the ORIGINAL text."""

    start: int
    end: int
    text: str
    device: DeviceId

    def __repr__(self) -> str:  # never print the ID itself
        return f"IdSpan({self.start}, {self.end}, {self.device!r})"


@dataclass(frozen=True, slots=True)
class _Group:
    start: int  # in the folded text
    end: int
    gap: str  # the folded text between the previous group and this one ("" for the first of a run)
    lead: str = ""  # "+" (a phone number starts here), a currency sign or "#" just before the group


def _joinable(gap: str) -> bool:
    if not gap or len(gap) > _MAX_GAP:
        return False
    marks = 0
    for ch in gap:
        if ch not in _SEP:
            return False
        if ch != " ":
            marks += 1
    return marks <= _MAX_GAP_MARKS


def _runs(folded: str, pattern: re.Pattern[str]) -> list[list[_Group]]:
    """Groups of `pattern` in folded text, chained across joinable gaps.

    A number that says what it is does not join its neighbours: "+44 ..." (a phone number),
    "$25", "#10042" start a run of their own; "232 EUR", "15 %", "5 pm" are not joined to the
    number before them by a mere space.
    """
    runs: list[list[_Group]] = []
    current: list[_Group] = []
    prev_end = -1
    digits = 0
    for m in pattern.finditer(folded):
        gap = folded[prev_end : m.start()] if prev_end >= 0 else ""
        lead = folded[m.start() - 1] if m.start() and folded[m.start() - 1] in _LEADS else ""
        if lead == "#" and _ID_LABEL_BEFORE.search(folded, max(0, m.start() - 16), m.start() - 1):
            lead = ""  # "IMEI #35..." labels an ID; "order #10042" is a reference
        if m.start() >= 2 and folded[m.start() - 1] == "h" and folded[m.start() - 2].isdigit():
            lead = "h"  # 16h59 is a time
        unit = _UNIT.match(folded, m.end()) is not None
        joins = current and _joinable(gap) and not lead and not (unit and any(ch.isspace() for ch in gap))
        if joins and current[0].lead == "+":
            joins = digits + m.end() - m.start() <= _PHONE_DIGITS  # a phone number ends where it must
        elif joins and current[0].lead:
            joins = not any(ch.isspace() for ch in gap)  # "$1,299.99", "#4455-6677": one amount, one reference
        if joins:
            current.append(_Group(m.start(), m.end(), gap))
            digits += m.end() - m.start()
        else:
            if current:
                runs.append(current)
            current = [_Group(m.start(), m.end(), "", lead)]
            digits = m.end() - m.start()
        prev_end = m.end()
    if current:
        runs.append(current)
    return runs


def _blocked(run: list[_Group], folded: str) -> set[int]:
    """Groups that belong to something else: a phone number ("+44 ..."), an amount or a reference
    ("$25", "#10042"), a date (2026-11-29, 29.11.2026, 11/29/26) or a time (17:30). No ID includes them."""
    blocked = {k for k in range(len(run)) if run[0].lead}
    if len({g.gap.strip() or " " for g in run[1:]}) <= 1:
        return blocked  # one way of writing throughout ("0.0.1.1.00.000000007") is one number
    values = [folded[g.start : g.end] for g in run]
    for k in range(len(run) - 2):
        b, c = run[k + 1], run[k + 2]
        mark = b.gap.strip()
        if mark not in ("-", "/", ".") or c.gap.strip() != mark or len(b.gap) != 1 or len(c.gap) != 1:
            continue
        x, y, z = values[k], values[k + 1], values[k + 2]
        year_first = _YEAR.fullmatch(x) is not None and _month_day(y, z)
        # (a two-digit year only with "/" or ".": 12-10-09 is too close to how IDs are grouped)
        year_last = (_YEAR.fullmatch(z) is not None or (len(z) == 2 and mark != "-")) and (
            _month_day(x, y) or _month_day(y, x)
        )
        if year_first or year_last:
            blocked |= {k, k + 1, k + 2}
    for k in range(len(run) - 1):
        b = run[k + 1]
        if b.gap in (":", ".") and len(values[k]) <= 2 and len(values[k + 1]) == 2:
            same_after = k + 2 < len(run) and run[k + 2].gap == b.gap
            if not same_after and int(values[k]) <= 23 and int(values[k + 1]) <= 59:
                blocked |= {k, k + 1}
    return blocked


def _month_day(month: str, day: str) -> bool:
    return len(month) <= 2 and len(day) <= 2 and 1 <= int(month) <= 12 and 1 <= int(day) <= 31


def _plausible(run: list[_Group], folded: str, i: int, j: int) -> bool:
    """May groups i..j of a run be one number? One way of writing it throughout always may;
    a mix of separators may not contain a date (2026-11-29), a time (17:30) or a decimal (12.50)."""
    marks = {run[k].gap.strip() or " " for k in range(i + 1, j + 1)}
    if len(marks) <= 1:
        return True
    for k in range(i + 1, j + 1):
        gap = run[k].gap.strip()
        size = run[k].end - run[k].start
        if "," in gap and run[k].gap.endswith(" "):
            return False  # a list: "call 0044 7700 900123, 07700 900456"
        if gap in (".", ",", ":") and size == 2 and (k == j or run[k + 1].gap.strip() != gap):
            return False  # 12.50, 17:30 followed by something else
    return True  # (dates are found by _blocked)


class IdScanner:
    """Finds, redacts and detects device IDs. Immutable and thread-safe; build one per process."""

    def __init__(self, serial_pattern: str | re.Pattern[str] | None = None) -> None:
        raw = serial_pattern.pattern if isinstance(serial_pattern, re.Pattern) else serial_pattern
        self.serial_pattern: re.Pattern[str] | None = re.compile(raw) if raw else None
        self._serial_search: re.Pattern[str] | None = None
        if raw:
            body = re.sub(r"^(?:\^|\\A)+", "", raw)
            body = re.sub(r"(?<!\\)(?:\$|\\Z)+$", "", body)
            self._serial_search = re.compile(body, re.IGNORECASE)

    @classmethod
    def from_settings(cls, settings: object) -> IdScanner:
        return cls(getattr(settings, "device_serial_pattern", None))

    # -- public API -------------------------------------------------------------------------

    def find(self, text: str) -> list[IdSpan]:
        """Device IDs in text, as non-overlapping spans of the original text, in order."""
        if not text:
            return []
        folded = fold(text, casefold=True, confusables=True, digits_lookalike=True)
        if self._serial_search is None and not _SIX_DIGITS.match(folded.text):
            return self._to_source(folded, self._spoken(folded.text))
        ftext = _SANDWICH.sub(lambda m: "".join(_SANDWICH_DIGIT[c] for c in m.group(0)), folded.text)
        found: list[tuple[int, int, DeviceId]] = []
        found.extend(self._decimal(ftext))
        found.extend(self._hex(ftext))
        found.extend(self._spoken(ftext))
        if self._serial_search is not None:
            found.extend(self._serials(ftext))
        return self._to_source(folded, found)

    def contains(self, text: str) -> bool:
        return bool(self.find(text))

    def redact(self, text: str, allowed: Iterable[str] = (), replacement: str = DEVICE_ID_REMOVED) -> str:
        """Show allowed IDs (normalised form) masked ("****1481"), replace every other one."""
        spans = self.find(text)
        if not spans:
            return text
        allowed_set = set(allowed)
        out: list[str] = []
        pos = 0
        for span in spans:
            out.append(text[pos : span.start])
            out.append(span.device.masked if span.device.normalized in allowed_set else replacement)
            pos = span.end
        out.append(text[pos:])
        return "".join(out)

    def mask(self, text: str) -> str:
        """Every ID shown as its masked tail ("****1481"): for staff views and the audit log."""
        spans = self.find(text)
        return self.redact(text, allowed=[s.device.normalized for s in spans]) if spans else text

    def normalized_ids(self, text: str) -> list[str]:
        return [s.device.normalized for s in self.find(text)]

    # -- passes -----------------------------------------------------------------------------

    def _decimal(self, ftext: str) -> list[tuple[int, int, DeviceId]]:
        out: list[tuple[int, int, DeviceId]] = []
        for run in _runs(ftext, _DIGITS):
            sizes = [g.end - g.start for g in run]
            total = sum(sizes)
            if total < 15:
                continue
            blocked = _blocked(run, ftext)
            if total in (15, 16) and not blocked and _plausible(run, ftext, 0, len(run) - 1):
                device = _parse("".join(ftext[g.start : g.end] for g in run))
                if device is not None:
                    out.append((run[0].start, run[-1].end, device))
                    continue
            i = 0
            while i < len(run):
                hit = None
                digits = 0
                for j in range(i, len(run)):
                    if j in blocked:
                        break
                    digits += sizes[j]
                    if digits > 16:
                        break
                    if digits == 15 or (digits == 16 and i == j):
                        device = _parse("".join(ftext[g.start : g.end] for g in run[i : j + 1]))
                        if device is not None and (device.kind == "imei" or i == j) and _plausible(run, ftext, i, j):
                            hit = (j, device)
                            break
                if hit is None:
                    i += 1
                    continue
                j, device = hit
                end = run[j].end
                if j + 1 < len(run) and run[j + 1].gap == "/" and run[j + 1].end - run[j + 1].start == 2:
                    j += 1  # IMEI/SV: the software version goes with it
                    end = run[j].end
                out.append((run[i].start, end, device))
                i = j + 1
        return out

    def _hex(self, ftext: str) -> list[tuple[int, int, DeviceId]]:
        out: list[tuple[int, int, DeviceId]] = []
        unlabelled = _LABELS.sub(lambda m: "x" * len(m.group(0)), ftext)
        for run in _runs(unlabelled, _HEX):
            if sum(g.end - g.start for g in run) < 14:
                continue
            if sum(ch.isdigit() for g in run for ch in ftext[g.start : g.end]) < 6:
                continue
            for i in range(len(run)):
                joined = ""
                for j in range(i, len(run)):
                    joined += ftext[run[j].start : run[j].end]
                    if len(joined) > 18:
                        break
                    if len(joined) < 14:
                        continue
                    device = _meid_in(joined)
                    if device is None or not _plausible(run, ftext, i, j):
                        continue
                    labelled = _MEID_LABEL.search(ftext, max(0, run[i].start - 24), run[i].start) is not None
                    if labelled or any(ch.isalpha() for ch in device.normalized.lstrip("ABCDEF")):
                        # letters glued to an MEID go with it: over-redacting them is the safe side
                        out.append((run[i].start, run[j].end, device))
                        break
        return out

    def _spoken(self, ftext: str) -> list[tuple[int, int, DeviceId]]:
        """Digits written as words, one per digit: only a whole read-out number that validates counts."""
        out: list[tuple[int, int, DeviceId]] = []
        for m in _SPOKEN.finditer(ftext):
            tokens = re.findall(rf"{_WORD}|[0-9]+", m.group(0))
            digits = "".join(_WORD_DIGITS.get(t, t) for t in tokens)
            if not any(t in _WORD_DIGITS for t in tokens) or not 15 <= len(digits) <= 16:
                continue
            device = _parse(digits)
            if device is not None:
                out.append((m.start(), m.end(), device))
        return out

    def _serials(self, ftext: str) -> list[tuple[int, int, DeviceId]]:
        assert self._serial_search is not None
        out: list[tuple[int, int, DeviceId]] = []
        squeezed, index = _squeeze(ftext)
        for view, where in ((ftext, None), (squeezed, index)):
            for m in self._serial_search.finditer(view):
                s, e = m.start(), m.end()
                if s == e:
                    continue
                if (s > 0 and view[s].isdigit() and view[s - 1].isdigit()) or (
                    e < len(view) and view[e - 1].isdigit() and view[e].isdigit()
                ):
                    continue
                value = m.group(0).upper()
                device = DeviceId("serial", value)
                if where is None:
                    out.append((s, e, device))
                else:
                    out.append((where[s], where[e - 1] + 1, device))
        return out

    # -- back to the original ---------------------------------------------------------------

    @staticmethod
    def _to_source(folded: Folded, found: list[tuple[int, int, DeviceId]]) -> list[IdSpan]:
        if not found:
            return []
        found.sort(key=lambda f: (f[0], -(f[1] - f[0])))
        merged: list[tuple[int, int, DeviceId]] = []
        for start, end, device in found:
            if merged and start < merged[-1][1]:
                last = merged[-1]
                merged[-1] = (last[0], max(last[1], end), last[2])
                continue
            merged.append((start, end, device))
        spans = []
        for start, end, device in merged:
            s, e = folded.source_span(start, end)
            spans.append(IdSpan(s, e, folded.source[s:e], device))
        return spans


def _parse(candidate: str) -> DeviceId | None:
    try:
        return parse_device_id(candidate)
    except InvalidDeviceId:
        return None


def _meid_in(hexstr: str) -> DeviceId | None:
    """An MEID in a hex string, allowing up to 4 letters glued on either side."""
    n = len(hexstr)
    for lead in range(0, min(5, n - 13)):
        if lead and not hexstr[lead - 1].isalpha():
            break
        for length in (15, 14):
            end = lead + length
            if end > n or n - end > 4 or (end < n and not hexstr[end:].isalpha()):
                continue
            body = hexstr[lead:end]
            if not body[0].isalpha() or sum(ch.isdigit() for ch in body) < 6:
                continue
            device = _parse(body)
            if device is not None and device.kind == "meid":
                return device
    return None


def _squeeze(ftext: str) -> tuple[str, list[int]]:
    """The folded text with joinable gaps next to a digit removed ("wr 1234-5678" -> "wr12345678")."""
    chars: list[str] = []
    index: list[int] = []
    n = len(ftext)
    i = 0
    while i < n:
        ch = ftext[i]
        if ch in _SEP and chars and chars[-1].isalnum():
            j = i
            while j < n and ftext[j] in _SEP and j - i <= _MAX_GAP:
                j += 1
            if j < n and ftext[j].isalnum() and (chars[-1].isdigit() or ftext[j].isdigit()) and _joinable(ftext[i:j]):
                i = j
                continue
        chars.append(ch)
        index.append(i)
        i += 1
    return "".join(chars), index
