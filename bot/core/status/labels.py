"""How a status reads, in one place: state names, data-recovery progress, the one-line description
answers quote, and the words for a device's recovery. The transport adds only formatting.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from bot.core.outbox.notices import Progress, StatusView

RESOLVED = frozenset({"resolved", "postmortem", "completed"})

STATE_LABELS = {
    "investigating": "Investigating",
    "identified": "Cause identified",
    "monitoring": "Monitoring",
    "recovering": "Recovering",
    "resolved": "Resolved",
    "postmortem": "Post-mortem",
    "scheduled": "Scheduled",
    "in_progress": "In progress",
    "verifying": "Verifying",
    "completed": "Completed",
    "unknown": "Update",
}
DATA_STATE_LABELS = {
    "restored": "restored",
    "partial": "partly restored",
    "in_progress": "in progress",
    "pending": "not started",
    "not_recoverable": "not recoverable",
}

# the three places that warn about an old status, each in the sentence it sits in
STALE_IN_ANSWER = " (this may be out of date: our status feed has not updated recently)"
STALE_IN_SUMMARY = ". Our status feed has not updated recently; this may be out of date."
STALE_ON_COMMAND = "Our status feed has not updated recently, so this may be out of date."
NO_NEWS_FOR_DEVICE = "no news yet: we'll message you as soon as there is"


def state_label(state: str) -> str:
    return STATE_LABELS.get(state, STATE_LABELS["unknown"])


def data_state_label(state: str) -> str:
    return DATA_STATE_LABELS.get(state, state)


def promises_next_update(state: str) -> bool:
    """A "next update by" time is shown only while the incident is open."""
    return state not in RESOLVED


def format_time(when: datetime) -> str:
    """28 Nov 2026, 11:00 UTC: how answers quote a time."""
    return when.astimezone(UTC).strftime("%d %b %Y, %H:%M UTC").lstrip("0")


def progress_item(name: str, p: Progress) -> tuple[str, str]:
    """("Contacts", "partly restored (60%)") for one data type's progress."""
    pct = f" ({p.percent}%)" if p.percent is not None else ""
    return name.replace("_", " ").capitalize(), data_state_label(p.state) + pct


def progress_text(progress: Mapping[str, Progress]) -> str:
    return "; ".join(": ".join(progress_item(name, p)) for name, p in progress.items())


def describe(view: StatusView) -> str:
    """One status update as a sentence or two: what answers quote."""
    body = " ".join(view.body.split())
    if len(body) > 400:
        body = body[:399] + "…"
    progress = progress_text(view.progress)
    text = f"{view.incident} ({state_label(view.state)}): {body}"
    if progress:
        text += f" Progress: {progress}."
    if view.next_update_by and promises_next_update(view.state):
        text += f" Next update promised by {view.next_update_by.astimezone(UTC):%d %b %Y, %H:%M UTC}."
    return text


def device_headline(device_kind: str, masked: str, state: str) -> str:
    """The first line of the DM telling an owner their device's data changed state."""
    kind = device_kind.upper()
    if state == "restored":
        return f"Good news: the data for your {kind} {masked} has been restored."
    if state == "partial":
        return f"Update: part of the data for your {kind} {masked} has been restored."
    return (
        f"We're very sorry: our team could not recover the online copy of the data for your {kind} {masked}. "
        "What is still on the phone itself is not affected, so please keep it on and charged and do not "
        "reset it. A member of our team can help: use `/human`."
    )


def device_state_label(state: str, *, heard: bool) -> str:
    """A device's recovery state in /device status; `heard` is False until the feed or staff said anything."""
    if state == "pending" and not heard:
        return NO_NEWS_FOR_DEVICE
    return data_state_label(state)
