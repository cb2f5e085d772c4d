"""Small wording helpers shared by every place that writes to people: "1 customer", "2 customers"."""

from __future__ import annotations

from datetime import timedelta

_IRREGULAR = {"person": "people", "reply": "replies", "entry": "entries", "was": "were", "needs": "need"}


def plural(n: int, singular: str, plural_form: str | None = None) -> str:
    """`n` with the noun in the right form: plural(1, "customer") -> "1 customer"."""
    if n == 1:
        return f"{n} {singular}"
    if plural_form is None:
        plural_form = _IRREGULAR.get(singular) or (
            singular[:-1] + "ies" if singular.endswith("y") and singular[-2:-1] not in "aeiou" else singular + "s"
        )
    return f"{n} {plural_form}"


def noun(n: int, singular: str, plural_form: str | None = None) -> str:
    """The noun alone, in the form `n` needs: noun(2, "person") -> "people"."""
    return plural(n, singular, plural_form).split(" ", 1)[1]


def minutes(delta: timedelta) -> str:
    """A waiting time as staff read it: "4 min", "2 h 05 min", "1 d 3 h"."""
    total = max(0, int(delta.total_seconds() // 60))
    if total < 60:
        return f"{total} min"
    hours, mins = divmod(total, 60)
    if hours < 24:
        return f"{hours} h {mins:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"
