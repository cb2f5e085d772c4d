"""Small wording helpers shared by every place that writes to people: "1 customer", "2 customers"."""

from __future__ import annotations

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
