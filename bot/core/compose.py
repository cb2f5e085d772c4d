"""Answers composed from data: the live status per data type, the customer's own devices, and the
short honest replies for intents that need no FAQ (small talk, a request for a person, distress,
requests outside the bot's role, off-topic advice, a device ID in the text, nonsense).

Pure functions over plain values: no database, no Discord, no LLM. The status is stated once, in
as few words as the question needs, with the time it was published and the next promised update.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

DATA_STATE_LABELS = {
    "restored": "restored",
    "partial": "partly restored",
    "in_progress": "being restored",
    "pending": "not started yet",
    "not_recoverable": "not recoverable",
}
DEVICE_STATE_LABELS = {
    "restored": "fully restored",
    "partial": "partly restored",
    "in_progress": "being restored",
    "pending": "waiting for its restore",
    "not_recoverable": "not recoverable",
}
CLOSED = frozenset({"resolved", "postmortem", "completed"})

CRISIS_LINE = (
    "If you are thinking about harming yourself, or someone's life is at risk, please call your local "
    "emergency number now (112 in Europe, 911 in the US), or talk to a crisis line: 988 in the US, "
    "116 123 (Samaritans) in the UK and Ireland, or findahelpline.com for other countries."
)


def format_time(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%d %b %Y, %H:%M UTC").lstrip("0")


@dataclass(frozen=True, slots=True)
class Progress:
    name: str  # the feed's key, e.g. "contacts" or "handwriting_search"
    state: str
    percent: int | None = None

    @property
    def label(self) -> str:
        return self.name.replace("_", " ")

    def describe(self) -> str:
        state = DATA_STATE_LABELS.get(self.state, self.state.replace("_", " "))
        if self.percent is not None and self.state not in ("restored", "pending", "not_recoverable"):
            return f"{state} ({self.percent}%)"
        return state


@dataclass(frozen=True, slots=True)
class StatusFacts:
    """What the latest update of the open incident says, as data."""

    title: str
    state: str
    as_of: datetime
    body: str = ""
    progress: tuple[Progress, ...] = ()
    next_update_by: datetime | None = None
    stale: bool = False

    @property
    def topics(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.progress)

    def get(self, topic: str) -> Progress | None:
        return next((p for p in self.progress if p.name == topic), None)

    @property
    def closed(self) -> bool:
        return self.state in CLOSED


def progress_from(raw: Mapping[str, Any]) -> tuple[Progress, ...]:
    """Progress from the stored JSON form ({"contacts": {"state": ..., "percent": ...}}) or from models
    with `state` and `percent` attributes."""
    out = []
    for name, value in raw.items():
        if isinstance(value, Mapping):
            state, pct = value.get("state", ""), value.get("percent")
        else:
            state, pct = getattr(value, "state", ""), getattr(value, "percent", None)
        out.append(Progress(str(name), str(state), int(pct) if pct is not None else None))
    return tuple(out)


class DeviceFacts(Protocol):
    @property
    def masked(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def progress(self) -> Mapping[str, Any]: ...
    @property
    def note(self) -> str | None: ...


def _when(status: StatusFacts) -> str:
    stale = " (our status feed has not updated recently, so this may be out of date)" if status.stale else ""
    return f"Status as of {format_time(status.as_of)}{stale}"


def _next(status: StatusFacts) -> str:
    if status.closed:
        return ""
    if status.next_update_by is not None:
        return f" The next update is promised by {format_time(status.next_update_by)}."
    return " No time for the next update has been announced."


def _list(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def status_line(status: StatusFacts, topics: Sequence[str] = ()) -> str:
    """One line: the state per data type asked about (or all of them), with its time."""
    chosen = [p for p in status.progress if not topics or p.name in topics] or list(status.progress)
    if not chosen:
        return f"{_when(status)}: {status.title} ({status.state.replace('_', ' ')})."
    parts = [f"{p.label} {p.describe()}" for p in chosen]
    text = f"{_when(status)}: " + "; ".join(parts) + "."
    return text[0].upper() + text[1:]


def device_sentence(device: DeviceFacts, topics: Sequence[str]) -> str:
    """One sentence per registered device: its own progress (for the data types asked about)."""
    progress = progress_from(device.progress)
    chosen = [p for p in progress if not topics or p.name in topics]
    state = DEVICE_STATE_LABELS.get(device.state, device.state.replace("_", " "))
    if chosen:
        detail = _list([f"{p.label} {p.describe()}" for p in chosen])
        text = f"Your device {device.masked}: {detail}."
    elif topics and progress:
        text = f"Your device {device.masked} is {state}; there is no separate news yet for {_list(list(topics))}."
    else:
        text = f"Your device {device.masked} is {state}."
    if device.note and not chosen[1:] and not (chosen and topics):
        text += " " + device.note.rstrip(".") + "."
    return text


_ASKS_WHEN = ("when", "how long", "eta", "timeline", "cuando", "how soon", "date")


def status_answer(
    status: StatusFacts | None, topics: Sequence[str], devices: Sequence[DeviceFacts] = (), question: str = ""
) -> str:
    """A status question: the asker's own devices first, then the state across all customers."""
    lines = [device_sentence(d, topics) for d in devices]
    if status is None:
        lines.append("No status update has been published yet. We post every confirmed update in the status channel.")
        return " ".join(lines) if len(lines) == 1 else "\n".join(lines)
    known = [t for t in topics if status.get(t) is not None]
    overall = status_line(status, known)
    if devices:
        overall = "For all customers: " + overall
    if status.closed:
        overall += " The incident is marked as resolved."
    elif any(w in question for w in _ASKS_WHEN):
        overall += " No completion time has been announced, and we won't guess."
    lines.append(overall + _next(status))
    if not known and not topics and status.body:
        lines.append("The latest update says: " + _first_sentences(status.body))
    return "\n".join(lines)


def device_answer(status: StatusFacts | None, devices: Sequence[DeviceFacts]) -> str:
    """"Is my phone restored?": every registered device of the asker, or how to register one."""
    if not devices:
        text = (
            "You have no registered devices yet. Register your phone with `/device register` (only the last "
            "four digits are ever shown back) and I can tell you exactly where its restore is."
        )
        if status is not None:
            text += "\n" + status_line(status) + _next(status)
        return text
    lines = [device_sentence(d, ()) for d in devices]
    if status is not None and not status.closed:
        lines.append(f"(Status as of {format_time(status.as_of)}.){_next(status)}")
    return "\n".join(lines)


def _first_sentences(body: str, limit: int = 220) -> str:
    body = " ".join(body.split())
    if len(body) <= limit:
        return body
    cut = body.rfind(". ", 0, limit)
    return body[: cut + 1] if cut > 40 else body[: limit - 1] + "…"


# ----------------------------------------------------------------------- replies without data

SMALLTALK_THANKS = ("thank", "thx", "ty", "cheers", "gracias", "appreciated", "star", "great", "helps")
SMALLTALK_BYE = ("bye", "goodbye", "see you", "good night", "adios")
SMALLTALK_BOT = ("bot", "who are you", "human")


def smalltalk_reply(text: str, company: str) -> str:
    low = text.lower()
    if any(w in low for w in SMALLTALK_BOT):
        return (
            f"I'm the {company} support assistant, a bot. I can tell you the latest status, what to do with your "
            "device, and bring in a member of staff whenever you ask."
        )
    if any(w in low for w in SMALLTALK_BYE):
        return "Take care! I'm here whenever you have another question."
    if any(w in low for w in SMALLTALK_THANKS):
        return "You're welcome! Ask me any time if something else comes up."
    if low.startswith(("ok", "okay", "k", "cool", "got it", "alright", "understood", "nice", "perfect", "vale")):
        return "Great. Let me know if there's anything else."
    return f"Hi! I'm the {company} support assistant. What would you like to know?"


def nonsense_reply(company: str) -> str:
    return (
        f"Sorry, I didn't catch that. What would you like to know? I can tell you the latest on the {company} "
        "outage, how the restore of your data is going, or what to do with your device; or ask for a person."
    )


HANDOVER_TEXT = (
    "Of course. I'm bringing in a member of our support team; they can see this conversation, "
    "so you won't need to repeat yourself."
)


def distress_reply(crisis: bool) -> str:
    if crisis:
        return (
            "I'm so sorry you're feeling this way, and I'm glad you told us. " + CRISIS_LINE
            + "\n\nI'm also bringing in a member of our support team right now."
        )
    return (
        "I'm really sorry, this is a hard situation and you have every reason to be upset. I'm bringing in a "
        "member of our support team to help you personally; they can see this conversation."
    )


def nonsense_text() -> str:
    return "Sorry, I didn't catch that. What would you like to know?"


def refusal_reply(company: str) -> str:
    return (
        f"I can't do that: I only answer questions about the {company} outage, and I never change my role, "
        "share my instructions, or show anyone's device details."
    )


def offtopic_reply(company: str) -> str:
    return (
        "I can't give legal, financial or medical advice, or help with things outside this outage. "
        f"I can tell you about the {company} outage, your data and your device; a member of staff can help "
        "with anything about your account."
    )


def device_id_reply() -> str:
    return (
        "Please don't post your device ID in a message: I've removed it, and it was not stored. To get news "
        "about your own device, register it privately with `/device register`, then ask me \"is my phone "
        "restored?\"."
    )


def unknown_reply() -> str:
    return (
        "I'm sorry, I don't know the answer to that yet, and I'd rather not guess. "
        "A member of our support team can help: press **Talk to a person** below or use `/human`."
    )


def plausible_reply(answer: str) -> str:
    """An FAQ entry that probably, not surely, answers the question: said so, with a person on offer.

    The entry's question is not quoted: "Can I take the battery out?" reads as advice to whoever judges
    the text on its own, the customer included."""
    return (
        "I'm not completely sure I understood your question, but this answer may help:"
        f"\n\n{answer}\n\nIf it doesn't, press **Talk to a person** below or use `/human`."
    )


# ------------------------------------------------------------------------- one reply per intent


@dataclass(frozen=True, slots=True)
class Draft:
    """The offline reply to one routed message, before the output checks and assembly."""

    text: str
    intent: str
    source: str = "offline"  # "refusal" for requests outside the role
    faq_keys: tuple[str, ...] = ()
    escalate: str | None = None
    offer_human: bool = False  # a real question the bot could not answer
    status_line: str | None = None  # one line of live status to add under an FAQ answer


class RouteLike(Protocol):
    @property
    def intent(self) -> str: ...
    @property
    def topics(self) -> tuple[str, ...]: ...
    @property
    def crisis(self) -> bool: ...
    @property
    def text(self) -> str: ...


def compose(
    route: RouteLike,
    *,
    company: str,
    status: StatusFacts | None,
    devices: Sequence[DeviceFacts] = (),
    faq_key: str | None = None,
    faq_answer: str | None = None,
) -> Draft:
    """The honest offline reply for a routed message. `faq_answer` is the entry's text for intent faq."""
    intent = route.intent
    if intent == "status":
        topics = route.topics
        mine = devices if devices else ()
        return Draft(status_answer(status, topics, mine, route.text), "status")
    if intent == "device":
        return Draft(device_answer(status, devices), "device")
    if intent == "faq" and faq_key is not None and faq_answer is not None:
        line = None
        if status is not None and route.topics:
            line = status_line(status, route.topics) + _next(status)
        return Draft(faq_answer, "faq", faq_keys=(faq_key,), status_line=line)
    if intent == "smalltalk":
        return Draft(smalltalk_reply(route.text, company), "smalltalk")
    if intent == "nonsense":
        return Draft(nonsense_reply(company), "nonsense")
    if intent == "human":
        return Draft(HANDOVER_TEXT, "human", escalate="asked")
    if intent == "distress":
        return Draft(distress_reply(route.crisis), "distress", escalate="crisis" if route.crisis else "upset")
    if intent == "refuse":
        return Draft(refusal_reply(company), "refuse", source="refusal")
    if intent == "offtopic":
        return Draft(offtopic_reply(company), "offtopic")
    if intent == "device_id":
        return Draft(device_id_reply(), "device_id")
    return Draft(unknown_reply(), "unknown", offer_human=True)
