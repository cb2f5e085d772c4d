"""What the outbox can say: one typed notice per kind, stored as JSON in an outbox row's payload.

A row has a *route* (post to a channel, edit a message, DM a person) and a *notice* (what to say).
The transport renders each notice kind in one place (`bot/ui/notices.py`); the core never builds
Discord payloads.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

Route = Literal["post", "edit", "dm"]
ROUTES: tuple[Route, ...] = ("post", "edit", "dm")


class BadNotice(ValueError):
    """A stored payload that is not a notice this version understands, or one sent the wrong way."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Progress(_Model):
    """How far one kind of data (contacts, photos, ...) has come back."""

    state: str
    percent: int | None = None


class StatusView(_Model):
    """A status update as it reads now: what a status post, edit or /status shows."""

    key: str = ""
    incident: str
    state: str
    impact: str = "unknown"
    body: str
    progress: dict[str, Progress] = Field(default_factory=dict)
    published_at: datetime | None = None
    next_update_by: datetime | None = None
    edited: bool = False


class _Notice(_Model):
    routes: ClassVar[frozenset[Route]]


class StatusPost(_Notice):
    """A status update for the status channel or a subscriber's DMs.

    Stored with its key only; `update` and `shown_hash` are filled in just before sending, so the
    message shows the update as it is then, not as it was when queued.
    """

    routes = frozenset({"post", "dm"})
    kind: Literal["status"] = "status"
    key: str
    update: StatusView | None = None
    shown_hash: str | None = None


class StatusEdit(_Notice):
    """Bring an already posted status message up to date with its update."""

    routes = frozenset({"edit"})
    kind: Literal["status_edit"] = "status_edit"
    key: str
    update: StatusView | None = None
    shown_hash: str | None = None


class Summary(_Notice):
    """The periodic "still working on it" post while an incident is open."""

    routes = frozenset({"post"})
    kind: Literal["summary"] = "summary"
    text: str
    as_of: datetime
    stale: bool = False


class DeviceNotice(_Notice):
    """Tell one owner that their device's data changed state. Only the last four characters of the ID."""

    routes = frozenset({"dm"})
    kind: Literal["device"] = "device"
    device_kind: str
    tail: str
    state: str
    progress: dict[str, Progress] = Field(default_factory=dict)
    note: str | None = None
    updated_at: datetime


class TextPost(_Notice):
    """Plain text: staff alerts, reminders and reports."""

    routes = frozenset({"post", "dm"})
    kind: Literal["text"] = "text"
    content: str


class BroadcastDm(_Notice):
    """A staff broadcast to one person."""

    routes = frozenset({"dm"})
    kind: Literal["broadcast"] = "broadcast"
    content: str


class TicketOpened(_Notice):
    """Tell the staff channel a hand-over opened (link and summary); the transport adds a "Claim" button."""

    routes = frozenset({"post"})
    kind: Literal["ticket_opened"] = "ticket_opened"
    ticket: int
    content: str


class TicketClosed(_Notice):
    """Tell a customer staff closed their hand-over, and why; the transport adds a button to reopen it."""

    routes = frozenset({"dm"})
    kind: Literal["ticket_closed"] = "ticket_closed"
    ticket: int
    reason: str = ""


Notice = Annotated[
    StatusPost | StatusEdit | Summary | DeviceNotice | TextPost | BroadcastDm | TicketOpened | TicketClosed,
    Field(discriminator="kind"),
]
_NOTICE: TypeAdapter[Notice] = TypeAdapter(Notice)


def check_route(notice: Notice, route: str) -> None:
    if route not in notice.routes:
        raise BadNotice(f"a {notice.kind!r} notice cannot go by {route!r}")


def dump_notice(notice: Notice) -> str:
    """The payload column's JSON: what is unset is left out (a status post stores its key only)."""
    return notice.model_dump_json(exclude_none=True)


def parse_notice(raw: str, route: str) -> Notice:
    """The notice in a stored payload. Raises BadNotice for anything else."""
    try:
        data = json.loads(raw)
        if route == "edit" and isinstance(data, dict) and data.get("kind") == "status":
            data = {**data, "kind": "status_edit"}  # edits queued before notices were typed
        notice = _NOTICE.validate_python(data)
    except (ValueError, ValidationError) as exc:
        first = exc.errors()[0] if isinstance(exc, ValidationError) and exc.errors() else None
        detail = f"{'.'.join(map(str, first['loc']))}: {first['msg']}" if first else str(exc)[:200]
        raise BadNotice(f"unreadable notice ({detail})") from None
    check_route(notice, route)
    return notice
