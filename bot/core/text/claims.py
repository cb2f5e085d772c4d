"""Grounded claims: an LLM answer may only state what it was given.

A time, date, duration, amount of money, percentage, phone number or link in an answer
must also appear in what the answer was grounded on: the FAQ text, the status text, the
customer's own data, or (for links) an allow-listed company domain. `ungrounded` returns
the claims that do not; the caller answers offline instead, and logs and counts it.

Both sides are read the same way (`extract`), on folded text, and compared by value, not
by spelling: "17:00" = "5 pm" = "5:00 PM"; "$50" = "50 dollars" = "USD 50"; "48 hours" =
"2 days"; "50%" = "50 percent"; "29 Nov" = "November 29th" = "2026-11-29". A bare "5:00"
may be morning or afternoon, so either reading counts as grounded. A date written
with slashes may be day/month or month/day; either reading counts too.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from bot.core.text.normalize import fold

__all__ = ["Claim", "extract", "ungrounded"]

Value = tuple[object, ...]

_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
            ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"),
            ("nov", "november"), ("dec", "december"),
        ]
    )
    for m in names
}
_MONTH = (
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_WORD_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30,
    "forty-eight": 48, "twenty-four": 24, "seventy-two": 72, "half an": 0.5, "a half": 0.5,
}
_VAGUE = r"(?:a\s+few|few|several|a\s+couple(?:\s+of)?|couple\s+of|some|many)"
_UNIT_MINUTES = {"minute": 1, "min": 1, "hour": 60, "hr": 60, "h": 60, "day": 1440, "week": 10080, "month": 43200}
_CURRENCY_SIGNS = {"$": "usd", "€": "eur", "£": "gbp", "¥": "jpy"}
_CURRENCY_WORDS = {
    "dollar": "usd", "dollars": "usd", "usd": "usd", "bucks": "usd", "euro": "eur", "euros": "eur", "eur": "eur",
    "pound": "gbp", "pounds": "gbp", "gbp": "gbp", "quid": "gbp",
}
_RELATIVE = (
    "tomorrow", "tonight", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "next week", "this week", "this weekend", "next month", "end of the day", "end of the week", "end of day",
    "overnight", "this evening", "this afternoon", "this morning",
)
_NUM = r"(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?"

_TIME_HM = re.compile(r"(?<![\d.:/-])([01]?\d|2[0-3])[:h]([0-5]\d)(?::[0-5]\d)?(?:\s*([ap])\.?m\b\.?)?(?![\d])")
_TIME_DOT = re.compile(r"(?<![\d.:/-])([01]?\d|2[0-3])\.([0-5]\d)\s*(?:([ap])\.?m\b\.?|(?=utc|gmt|[ce][sd]?t\b))")
_TIME_AMPM = re.compile(r"(?<![\d.:/-])(1[0-2]|0?[1-9])\s*(?:([ap])\.?m\b\.?|o'clock)")
_TIME_WORD = re.compile(r"\b(noon|midday|midnight)\b")
_DATE_ISO = re.compile(r"(?<!\d)(20\d\d)-(\d{1,2})-(\d{1,2})(?!\d)")
_DATE_SLASH = re.compile(r"(?<![\d/.])(\d{1,2})([/.])(\d{1,2})(?:\2(\d{4}|\d{2}))?(?![\d/])")
_DATE_DM = re.compile(rf"(?<!\d)(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}(?![a-z])")
_DATE_MD = re.compile(rf"(?<![a-z]){_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?(?!\d)")
_DAY_ALONE = re.compile(r"\bthe\s+(\d{1,2})(?:st|nd|rd|th)\b")
_MONTH_ALONE = re.compile(rf"\b(?:in|by|until|before|end of|early|mid|late)\s+{_MONTH}(?![a-z])")
_DURATION = re.compile(
    r"(?<![\w.])(\d+(?:\.\d+)?|" + "|".join(sorted((re.escape(w) for w in _WORD_NUMBERS), key=len, reverse=True))
    + r")(?:\s*(?:-|to|or)\s*(\d+(?:\.\d+)?))?\s*(?:(?:business|working|calendar|more|full|extra|whole)\s+)?"
    r"(minute|min|hour|hr|h|day|week|month)s?\b"
)
_VAGUE_DURATION = re.compile(rf"\b{_VAGUE}\s+(minute|hour|day|week|month)s\b")
_MONEY_SIGN = re.compile(rf"([$€£¥])\s?{_NUM}(?:\s?(k|m)\b)?")
_MONEY_WORD = re.compile(rf"(?<![\d.]){_NUM}\s?(dollars?|usd|bucks|euros?|eur|pounds?|gbp|quid)\b")
_MONEY_CODE = re.compile(rf"\b(usd|eur|gbp)\s?{_NUM}")
_PERCENT = re.compile(rf"(?<![\d.]){_NUM}\s?(%|percent\b|per\s+cent\b|pct\b)")
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>()\[\]{}\"'`]+", re.IGNORECASE)
_DOMAIN = re.compile(
    r"(?<![@\w.-])((?:[^\W_](?:[\w-]*[^\W_])?\.)+(?:com|net|org|io|co|app|info|biz|xyz|me|support|help|"
    r"online|site|link|ly|gg|dev|uk|de|us|ru|cn|tk|top|live|shop|store|page|click|zip|mov|ai|cc|tv|ws|su|pw|"
    r"cf|ga|ml|gq|icu|cyou|cam|quest|rest|fun|space|website|today|news|email|center|services|life|world|fr|es|"
    r"nl|br|au|ca|ch|se|pl|eu|gov|edu|example)\b(?:/[^\s<>()\[\]{}\"'`]*)?)"
)
_EMAIL = re.compile(r"\b[\w.+-]+@((?:[a-z0-9-]+\.)+[a-z]{2,})\b")
_PHONE = re.compile(r"(?<![\w.:/])(\+?\d[\d\s().-]{5,18}\d)(?![\w:/])")
_NOT_PHONE = re.compile(r"(?:#|\b(?:order|ticket|ref|reference|case|invoice|account|no\.?|number|id)\b)\W{0,3}$")
_RELATIVE_RE = re.compile(r"\b(" + "|".join(re.escape(r) for r in _RELATIVE) + r")\b")


@dataclass(frozen=True, slots=True)
class Claim:
    kind: str  # time, date, duration, money, percent, link, phone
    text: str  # as written (folded)
    values: frozenset[Value]

    def __str__(self) -> str:
        return f"{self.kind} {self.text!r}"


def _number(whole: str, frac: str | None) -> float:
    return float(whole.replace(",", "") + ("." + frac if frac else ""))


def _minutes(h: int, m: int, ampm: str | None) -> frozenset[Value]:
    if ampm == "p" and h < 12:
        return frozenset({("t", (h + 12) * 60 + m)})
    if ampm == "a" and h == 12:
        return frozenset({("t", m)})
    if ampm is None and 1 <= h <= 12:
        return frozenset({("t", h * 60 + m), ("t", ((h + 12) % 24) * 60 + m)})
    return frozenset({("t", h * 60 + m)})


def _dates(month: int, day: int) -> set[Value]:
    return {("d", month, day)} if 1 <= month <= 12 and 1 <= day <= 31 else set()


def _month(name: str) -> int:
    return _MONTHS[name.rstrip(".")[:3]]


def _host(url: str) -> str:
    host = re.sub(r"^(?:https?://)?", "", url).split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    return host.rsplit("@", 1)[-1].split(":", 1)[0].strip(".").removeprefix("www.")


def extract(text: str) -> list[Claim]:
    """Every checkable claim in text."""
    claims: list[Claim] = []
    folded = fold(text, squeeze=True).text
    taken: list[tuple[int, int]] = []

    def add(kind: str, m: re.Match[str], values: Iterable[Value], group: int = 0) -> None:
        values = frozenset(values)
        if not values:
            return
        s, e = m.span(group)
        if any(a < e and s < b for a, b in taken):
            return
        taken.append((s, e))
        claims.append(Claim(kind, m.group(group), values))

    plain = unicodedata.normalize("NFKC", text).casefold()
    plain = "".join(ch for ch in plain if unicodedata.category(ch) != "Cf")
    for m in _URL.finditer(plain):
        url = m.group(0).rstrip(".,;:!?*_~")
        claims.append(Claim("link", url, frozenset({("host", _host(url)), ("url", url)})))
    for m in _EMAIL.finditer(plain):
        claims.append(Claim("link", m.group(0), frozenset({("host", m.group(1))})))
    linked = " ".join(c.text for c in claims)
    for m in _DOMAIN.finditer(plain):
        if m.group(1) not in linked and not plain[max(0, m.start() - 8) : m.start()].endswith(("://", "www.")):
            url = m.group(1).rstrip(".,;:!?*_~")
            claims.append(Claim("link", url, frozenset({("host", _host(url)), ("url", url)})))
    # links are masked out of the folded text before numbers are read from it
    for m in _URL.finditer(folded):
        taken.append(m.span())
    for m in _EMAIL.finditer(folded):
        taken.append(m.span())

    for m in _DATE_ISO.finditer(folded):
        add("date", m, _dates(int(m.group(2)), int(m.group(3))))
    for m in _DATE_DM.finditer(folded):
        add("date", m, _dates(_month(m.group(2)), int(m.group(1))))
    for m in _DATE_MD.finditer(folded):
        add("date", m, _dates(_month(m.group(1)), int(m.group(2))))
    for m in _TIME_HM.finditer(folded):
        add("time", m, _minutes(int(m.group(1)), int(m.group(2)), m.group(3)))
    for m in _TIME_DOT.finditer(folded):
        add("time", m, _minutes(int(m.group(1)), int(m.group(2)), m.group(3)))
    for m in _TIME_AMPM.finditer(folded):
        add("time", m, _minutes(int(m.group(1)), 0, m.group(2)))
    for m in _TIME_WORD.finditer(folded):
        add("time", m, {("t", 0 if m.group(1) == "midnight" else 720)})
    for m in _DATE_SLASH.finditer(folded):
        a, sep, b = int(m.group(1)), m.group(2), int(m.group(3))
        if sep == "." and not m.group(4):
            continue  # 12.50 is a number, not a date
        if (a, b) == (24, 7):
            continue  # "24/7"
        add("date", m, _dates(a, b) | _dates(b, a))
    for m in _MONTH_ALONE.finditer(folded):
        add("date", m, {("m", _month(m.group(1)))}, 1)
    for m in _DAY_ALONE.finditer(folded):
        add("date", m, {("dom", int(m.group(1)))})
    for m in _RELATIVE_RE.finditer(folded):
        add("date", m, {("rel", m.group(1))})

    for m in _MONEY_SIGN.finditer(folded):
        scale = {"k": 1000, "m": 1_000_000}.get(m.group(4) or "", 1)
        add("money", m, {("$", _CURRENCY_SIGNS[m.group(1)], _number(m.group(2), m.group(3)) * scale)})
    for m in _MONEY_WORD.finditer(folded):
        add("money", m, {("$", _CURRENCY_WORDS[m.group(3)], _number(m.group(1), m.group(2)))})
    for m in _MONEY_CODE.finditer(folded):
        add("money", m, {("$", m.group(1), _number(m.group(2), m.group(3)))})
    for m in _PERCENT.finditer(folded):
        add("percent", m, {("%", _number(m.group(1), m.group(2)))})
    for m in _DURATION.finditer(folded):
        unit = _UNIT_MINUTES[m.group(3)]
        raw = m.group(1)
        if not raw[0].isdigit() and not folded[m.end(1) : m.end(1) + 1].isspace():
            continue  # "yeah" is not "a h"
        first = float(raw) if raw[0].isdigit() else float(_WORD_NUMBERS[raw])
        values: set[Value] = {("dur", round(float(first) * unit))}
        if m.group(2):
            values = {("dur", round(float(first) * unit), round(float(m.group(2)) * unit))}
        add("duration", m, values)
    for m in _VAGUE_DURATION.finditer(folded):
        add("duration", m, {("vague", m.group(1))})
    for m in _PHONE.finditer(folded):
        digits = re.sub(r"\D", "", m.group(1))
        if _NOT_PHONE.search(folded, max(0, m.start(1) - 14), m.start(1)):
            continue  # "order #4455-6677-8899" is an order number
        if 7 <= len(digits) <= 13:  # longer runs are device IDs or references, not phone numbers
            add("phone", m, {("tel", digits[-7:])}, 1)
    return claims


def _allowed(host: str, domains: Iterable[str]) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)


def ungrounded(answer: str, grounding: Iterable[str], allowed_domains: Iterable[str] = ()) -> list[Claim]:
    """Claims in answer that nothing in grounding (nor an allowed domain) supports."""
    claims = extract(answer)
    if not claims:
        return []
    domains = [d.strip().lower().removeprefix("www.") for d in allowed_domains if d.strip()]
    known: set[Value] = set()
    for text in grounding:
        for claim in extract(text):
            known |= claim.values
            if claim.kind == "duration":  # "48 hours" grounds "a few hours" / "a couple of days"
                known |= {("vague", unit) for v in claim.values if v[0] == "dur" for unit in _unit_names(v)}
            known |= {("m", v[1]) for v in claim.values if v[0] == "d"}  # "29 November" grounds "November"
            known |= {("dom", v[2]) for v in claim.values if v[0] == "d"}  # ... and "the 29th"
    out = []
    for claim in claims:
        if claim.kind == "link":
            host = next((str(v[1]) for v in claim.values if v[0] == "host"), "")
            if _allowed(host, domains) or claim.values & known or ("url", host) in known:
                continue
            out.append(claim)
            continue
        if not (claim.values & known):
            out.append(claim)
    return out


def _unit_names(value: Value) -> set[str]:
    """Units a vague duration may use for this length: 48 hours is "a few hours" or "a couple of days"."""
    minutes = value[1]
    assert isinstance(minutes, int)
    sizes = (("month", 43200), ("week", 10080), ("day", 1440), ("hour", 60), ("minute", 1))
    return {name for name, size in sizes if size <= minutes <= size * 100}
