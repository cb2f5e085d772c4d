"""What the sandbox observed: an event log of bot-visible actions and a log of every REST request."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.state import JSON, Message
from bot.sandbox.waiters import Waiters

# Event kinds
MESSAGE = "message"  # a message became visible (created, or a deferred "thinking" message got its content)
MESSAGE_UPDATE = "message_update"
MESSAGE_DELETE = "message_delete"
INTERACTION_RESPONSE = "interaction_response"  # any initial callback (data: type, interaction_id)
MODAL = "modal"  # a modal was opened (data: custom_id, title, components, interaction_id)
AUTOCOMPLETE = "autocomplete"
TYPING = "typing"
THREAD_CREATE = "thread_create"
THREAD_MEMBER_ADD = "thread_member_add"
DM_OPEN = "dm_open"
COMMANDS_SYNC = "commands_sync"
REACTION = "reaction"


@dataclass
class Event:
    kind: str
    seq: int
    message: Message | None = None
    data: JSON = field(default_factory=dict)
    interaction_id: int | None = None
    at: float = field(default_factory=time.time)


@dataclass
class RequestRecord:
    method: str
    path: str  # path after the API base, e.g. /channels/123/messages
    query: dict[str, str]
    json: Any  # parsed JSON body (payload_json for multipart), None if none/invalid
    status: int
    timestamp: float
    route: str | None  # route template, e.g. /channels/{channel_id}/messages
    bucket: str | None = None
    files: list[str] = field(default_factory=list)
    response: Any = None


class EventLog:
    def __init__(self, waiters: Waiters) -> None:
        self.events: list[Event] = []  # events[i].seq == i + 1
        self.requests: list[RequestRecord] = []
        self._seq = 0
        self._waiters = waiters
        self._first_seq: dict[int, int] = {}  # message id -> seq of its first event

    def add(self, kind: str, *, message: Message | None = None, data: JSON | None = None,
            interaction_id: int | None = None) -> Event:
        self._seq += 1
        ev = Event(kind=kind, seq=self._seq, message=message, data=data or {}, interaction_id=interaction_id)
        self.events.append(ev)
        if message is not None:
            self._first_seq.setdefault(message.id, ev.seq)
        self._waiters.notify()
        return ev

    def seq_of(self, message_id: int) -> int:
        """The seq of the first event about a message (0 if none)."""
        return self._first_seq.get(message_id, 0)

    def add_request(self, rec: RequestRecord) -> None:
        self.requests.append(rec)
        self._waiters.notify()

    @property
    def cursor(self) -> int:
        """The seq of the last event: pass it as ``after`` to wait only for what happens next."""
        return self._seq

    def find(self, kind: str | None, predicate: Callable[[Event], bool] | None, after: int) -> Event | None:
        events = self.events
        for i in range(max(after, 0), len(events)):  # seq == index + 1: skip straight past `after`
            ev = events[i]
            if kind is not None and ev.kind != kind:
                continue
            if predicate is None or predicate(ev):
                return ev
        return None
