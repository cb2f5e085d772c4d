"""Recovery status: poll the feed, remember what was seen, queue what must be posted, exactly once.

Exactly-once lives in the database: each feed update has a unique key in `status_updates`; each
message to send is an outbox row with a unique dedupe key, written in the same transaction as the
change that causes it. The scheduler only triggers `poll()`; running it twice, concurrently, or
after a crash writes nothing twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core.answering import StatusSnapshot
from bot.core.crypto import DeviceCipher
from bot.core.db import Database
from bot.core.devices import InvalidDeviceId, parse_device_id
from bot.core.feeds import DeviceState as FeedDeviceState
from bot.core.feeds import FeedError, FeedSnapshot, FeedUpdate, content_hash, parse_feed
from bot.core.feeds.fetch import FeedFetcher
from bot.core.models import Device, DeviceState, KeyValue, StatusUpdate, Subscription, utcnow
from bot.core.notifications import enqueue, outbox_row, status_edit, text_post
from bot.core.text.scanner import IdScanner

log = logging.getLogger(__name__)

NOTIFY_STATES = {"restored", "partial", "not_recoverable"}
RESOLVED = {"resolved", "postmortem", "completed"}
_STATE_UPDATE = StatusUpdate.__table__  # type: ignore[attr-defined]
_DEVICE_STATES = DeviceState.__table__  # type: ignore[attr-defined]
_CHUNK = 500
SNAPSHOT_TTL = timedelta(seconds=5)


@dataclass(frozen=True, slots=True)
class PollResult:
    ok: bool
    new: int = 0
    edited: int = 0
    devices_changed: int = 0
    notices: int = 0
    error: str | None = None
    not_modified: bool = False


@dataclass(frozen=True, slots=True)
class FeedHealth:
    configured: bool
    paused: bool
    last_good_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    failures: int
    updates_seen: int


@dataclass(frozen=True, slots=True)
class DeviceRecovery:
    kind: str
    masked: str
    state: str  # pending when the feed has said nothing about it yet
    progress: dict[str, Any]
    updated_at: datetime | None
    note: str | None


class Kv:
    """Small durable values in the `kv` table, read and written inside the caller's transaction."""

    @staticmethod
    async def get(session: AsyncSession, key: str) -> str | None:
        row = await session.get(KeyValue, key)
        return row.value if row else None

    @staticmethod
    async def put(session: AsyncSession, key: str, value: str | None) -> None:
        row = await session.get(KeyValue, key)
        if value is None:
            if row is not None:
                await session.delete(row)
            return
        if row is None:
            session.add(KeyValue(key=key, value=value))
        else:
            row.value = value
            row.updated_at = utcnow()


def _dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _progress_json(update: FeedUpdate) -> str:
    return json.dumps({k: v.model_dump() for k, v in sorted(update.progress.items())}, separators=(",", ":"))


class StatusService:
    def __init__(
        self,
        db: Database,
        cipher: DeviceCipher,
        *,
        fetcher: FeedFetcher | None,
        feed_format: str = "auto",
        status_channel_id: int | None = None,
        staff_channel_id: int | None = None,
        poll_seconds: float = 60.0,
        alert_after: int = 3,
        reminder_minutes: int = 15,
        serial_pattern: str | None = None,
        scanner: IdScanner | None = None,
        clock: Callable[[], datetime] = utcnow,
        on_queued: Callable[[], None] | None = None,
    ) -> None:
        self.db = db
        self.cipher = cipher
        self.fetcher = fetcher
        self.feed_format = feed_format
        self.status_channel_id = status_channel_id
        self.staff_channel_id = staff_channel_id
        self.poll_seconds = poll_seconds
        self.alert_after = alert_after
        self.reminder = timedelta(minutes=reminder_minutes) if reminder_minutes else None
        self.serial_pattern = serial_pattern
        # the feed is text from outside: a device ID in it never reaches a post, a DM, an answer or the LLM
        self.scanner = scanner or IdScanner(serial_pattern)
        self.clock = clock
        self.on_queued = on_queued or (lambda: None)
        self._poll_lock = asyncio.Lock()
        self._snapshot_lock = asyncio.Lock()
        self._snapshot: tuple[datetime, StatusSnapshot | None] | None = None

    @property
    def stale_after(self) -> timedelta:
        return timedelta(seconds=max(3 * self.poll_seconds, 900))

    # -- polling ------------------------------------------------------------------------------

    async def poll(self) -> PollResult:
        """Fetch, parse and ingest once. Never raises for feed problems: they are recorded and alerted."""
        if self.fetcher is None:
            return PollResult(ok=False, error="no status feed configured")
        async with self._poll_lock:
            async with self.db.sessions() as session:
                cursor = await Kv.get(session, "feed.cursor")
                etag = await Kv.get(session, "feed.etag")
                modified = await Kv.get(session, "feed.last_modified")
                last_url = await Kv.get(session, "feed.url")
                last_body = await Kv.get(session, "feed.body_hash")
            try:
                fetched = await self.fetcher.fetch(
                    cursor=cursor,
                    etag=etag if last_url == self.fetcher.url and not cursor else None,
                    last_modified=modified if last_url == self.fetcher.url and not cursor else None,
                )
                body_hash = hashlib.sha256(fetched.body).hexdigest() if fetched.body is not None else None
                if fetched.body is None or (body_hash == last_body and last_url == self.fetcher.url):
                    # 304, or the very same bytes as last time (servers without ETags, local files)
                    await self._record_success()
                    return PollResult(ok=True, not_modified=True)
                snapshot = await asyncio.to_thread(
                    parse_feed, fetched.body, self.feed_format, fetched.content_type, self.clock()
                )
            except FeedError as exc:
                log.warning("status feed poll failed (%s): %s", exc.reason, exc)
                await self._record_failure(str(exc))
                return PollResult(ok=False, error=str(exc))
            extra = {
                "feed.etag": fetched.etag,
                "feed.last_modified": fetched.last_modified,
                "feed.url": self.fetcher.url,
                "feed.body_hash": body_hash,
            }
            result = await self.ingest(snapshot, extra_kv=extra)
            if result.new or result.edited or result.notices:
                self.on_queued()
            return result

    async def ingest(self, snapshot: FeedSnapshot, *, extra_kv: dict[str, str | None] | None = None) -> PollResult:
        """Record a parsed feed and queue what it makes necessary, in one transaction."""
        for attempt in range(3):
            try:
                async with self.db.transaction() as session:
                    result = await self._ingest(session, snapshot)
                    await self._success_kv(session, {**(extra_kv or {}), "feed.cursor": snapshot.next_cursor})
                self._changed()
                return result
            except IntegrityError:
                # a second instance ingested the same feed at the same moment: read again
                log.info("status ingest raced with another instance; retrying (attempt %d)", attempt + 1)
        return PollResult(ok=False, error="could not record the feed after 3 attempts")

    async def _ingest(self, session: AsyncSession, snapshot: FeedSnapshot) -> PollResult:
        updates = sorted((u for inc in snapshot.incidents for u in inc.updates), key=lambda u: (u.published_at, u.key))
        paused = await Kv.get(session, "status.paused") == "1"
        first_run = not await session.scalar(select(func.count()).select_from(StatusUpdate))
        current_keys = self._current_keys(snapshot) if first_run else set()
        existing: dict[str, StatusUpdate] = {}
        keys = [u.key for u in updates]
        for i in range(0, len(keys), _CHUNK):
            for seen in await session.scalars(
                select(StatusUpdate).where(col(StatusUpdate.key).in_(keys[i : i + _CHUNK]))
            ):
                existing[seen.key] = seen
        subscribers: list[int] | None = None
        new = edited = 0
        outbox: list[dict[str, Any]] = []
        for u in updates:
            row = existing.get(u.key)
            if row is None:
                posted = "history" if first_run and u.key not in current_keys else ("held" if paused else "queued")
                await session.execute(insert(_STATE_UPDATE), [self._row(u, posted)])
                new += 1
                if posted == "queued":
                    if subscribers is None:
                        subscribers = list(await session.scalars(select(col(Subscription.customer_id))))
                    outbox.extend(self._announce(u.key, subscribers))
            elif row.content_hash != u.content_hash:
                edited += 1
                self._apply(row, u, self.scanner)
                if row.message_id is not None and self.status_channel_id:
                    outbox.append(status_edit(self.status_channel_id, u.key, u.content_hash, row.message_id))
        devices_changed, device_rows = await self._ingest_devices(session, snapshot.device_states)
        outbox.extend(device_rows)
        queued = await enqueue(session, outbox)
        return PollResult(ok=True, new=new, edited=edited, devices_changed=devices_changed, notices=queued)

    def _current_keys(self, snapshot: FeedSnapshot) -> set[str]:
        """On a first run only the current state is posted: the latest update of each open incident."""
        open_latest = {inc.updates[-1].key for inc in snapshot.incidents if inc.updates and inc.state not in RESOLVED}
        if open_latest:
            return open_latest
        everything = [u for inc in snapshot.incidents for u in inc.updates]
        return {max(everything, key=lambda u: u.published_at).key} if everything else set()

    def _announce(self, key: str, subscribers: Sequence[int]) -> list[dict[str, Any]]:
        rows = []
        if self.status_channel_id:
            rows.append(
                outbox_row(
                    "post", self.status_channel_id, f"post:{key}", {"kind": "status", "key": key}, update_key=key
                )
            )
        rows.extend(
            outbox_row("dm", cid, f"sub:{key}:{cid}", {"kind": "status", "key": key}, customer_id=cid)
            for cid in subscribers
        )
        return rows

    def _row(self, u: FeedUpdate, posted: str) -> dict[str, Any]:
        now = utcnow()
        return {
            "key": u.key,
            "incident_key": u.incident_key,
            "incident_title": self.scanner.redact(u.incident_title),
            "state": u.state,
            "impact": u.impact,
            "body": self.scanner.redact(u.body),
            "progress": _progress_json(u),
            "next_update_by": u.next_update_by,
            "published_at": u.published_at,
            "content_hash": u.content_hash,
            "edited": False,
            "posted": posted,
            "message_id": None,
            "posted_hash": None,
            "first_seen_at": now,
            "changed_at": now,
        }

    @staticmethod
    def _apply(row: StatusUpdate, u: FeedUpdate, scanner: IdScanner) -> None:
        row.incident_title = scanner.redact(u.incident_title)
        row.state = u.state
        row.impact = u.impact
        row.body = scanner.redact(u.body)
        row.progress = _progress_json(u)
        row.next_update_by = u.next_update_by
        row.content_hash = u.content_hash
        row.edited = True
        row.changed_at = utcnow()

    def _by_hash(self, states: Sequence[FeedDeviceState]) -> tuple[dict[str, FeedDeviceState], int]:
        """The newest state per device, keyed by the keyed hash of its normalised ID."""
        latest: dict[str, FeedDeviceState] = {}
        invalid = 0
        for ds in states:
            try:
                normalized = parse_device_id(ds.device_id, self.serial_pattern).normalized
            except InvalidDeviceId:
                invalid += 1
                continue
            h = self.cipher.hash(normalized)
            if h not in latest or ds.updated_at >= latest[h].updated_at:
                latest[h] = ds
        return latest, invalid

    async def _ingest_devices(
        self, session: AsyncSession, states: Sequence[FeedDeviceState], source: str = "feed"
    ) -> tuple[int, list[dict[str, Any]]]:
        if not states:
            return 0, []
        # parsing and keyed hashing of a large page is CPU work: off the event loop
        latest, invalid = await asyncio.to_thread(self._by_hash, states)
        if invalid:
            log.warning("status feed carried %d device IDs that are not valid; skipped", invalid)
        hashes = list(latest)
        # plain rows, not ORM objects: a page can carry 100,000 devices
        known: dict[str, tuple[str, str, str | None, datetime]] = {}
        owners: dict[str, list[tuple[int, str, str]]] = {}
        t = _DEVICE_STATES
        for i in range(0, len(hashes), _CHUNK):
            chunk = hashes[i : i + _CHUNK]
            for h, state, progress, note, updated_at in await session.execute(
                select(t.c.id_hash, t.c.state, t.c.progress, t.c.note, t.c.updated_at).where(t.c.id_hash.in_(chunk))
            ):
                known[h] = (state, progress, note, updated_at)
            for cid, h, kind, tail in await session.execute(
                select(col(Device.customer_id), col(Device.id_hash), col(Device.kind), col(Device.tail)).where(
                    col(Device.id_hash).in_(chunk)
                )
            ):
                owners.setdefault(h, []).append((cid, kind, tail))
        changed = 0
        rows: list[dict[str, Any]] = []
        fresh: list[dict[str, Any]] = []
        updated: list[dict[str, Any]] = []
        for h, ds in latest.items():
            progress = json.dumps({k: v.model_dump() for k, v in sorted(ds.progress.items())}, separators=(",", ":"))
            old = known.get(h)
            if old is not None and old[:3] == (ds.state, progress, ds.note):
                continue
            if old is not None and old[3] > ds.updated_at:
                continue  # an older report arriving late never overrides a newer one
            changed += 1
            values = {
                "id_hash": h,
                "state": ds.state,
                "progress": progress,
                "note": ds.note,
                "updated_at": ds.updated_at,
                "source": source,
            }
            (fresh if old is None else updated).append(values)
            if ds.state in NOTIFY_STATES:
                stamp = hashlib.sha256(f"{ds.state}|{progress}".encode()).hexdigest()[:16]
                for cid, kind, tail in owners.get(h, []):
                    rows.append(
                        outbox_row(
                            "dm",
                            cid,
                            f"dev:{h[:32]}:{cid}:{stamp}",
                            {
                                "kind": "device",
                                "device_kind": kind,
                                "tail": tail,
                                "state": ds.state,
                                "progress": json.loads(progress),
                                "note": ds.note,
                                "updated_at": ds.updated_at.isoformat(),
                            },
                            customer_id=cid,
                        )
                    )
        for i in range(0, len(fresh), 1000):
            await session.execute(insert(t), fresh[i : i + 1000])
        if updated:
            await session.execute(
                update(t)
                .where(t.c.id_hash == bindparam("h"))
                .values(
                    state=bindparam("state"),
                    progress=bindparam("progress"),
                    note=bindparam("note"),
                    updated_at=bindparam("updated_at"),
                    source=bindparam("source"),
                ),
                [{**u, "h": u["id_hash"]} for u in updated],
            )
        return changed, rows

    # -- health ---------------------------------------------------------------------------------

    async def _success_kv(self, session: AsyncSession, values: dict[str, str | None]) -> None:
        now = self.clock()
        for k, v in values.items():
            if k == "feed.cursor" and v is None:
                continue  # a null cursor means "keep the one you have"
            await Kv.put(session, k, v)
        await Kv.put(session, "feed.last_good_at", now.isoformat())
        if await Kv.get(session, "feed.alert") and self.staff_channel_id:
            since = await Kv.get(session, "feed.alert") or ""
            await enqueue(
                session,
                [
                    text_post(
                        self.staff_channel_id,
                        f"feed-up:{since}",
                        "The status feed is working again. Automatic updates continue.",
                    )
                ],
            )
            self.on_queued()
        await Kv.put(session, "feed.alert", None)
        await Kv.put(session, "feed.failures", "0")

    async def _record_success(self) -> None:
        async with self.db.transaction() as session:
            await self._success_kv(session, {})

    async def _record_failure(self, error: str) -> None:
        now = self.clock()
        queued = False
        async with self.db.transaction() as session:
            failures = int(await Kv.get(session, "feed.failures") or 0) + 1
            await Kv.put(session, "feed.failures", str(failures))
            await Kv.put(session, "feed.last_error", error[:500])
            await Kv.put(session, "feed.last_error_at", now.isoformat())
            if failures == 1:
                await Kv.put(session, "feed.failing_since", now.isoformat())
            if failures >= self.alert_after and not await Kv.get(session, "feed.alert"):
                since = await Kv.get(session, "feed.failing_since") or now.isoformat()
                await Kv.put(session, "feed.alert", since)
                if self.staff_channel_id:
                    queued = bool(
                        await enqueue(
                            session,
                            [
                                text_post(
                                    self.staff_channel_id,
                                    f"feed-down:{since}",
                                    (
                                        f"The status feed has failed {failures} times in a row (since {since}). "
                                        f"Latest error: {error[:300]}. Customers still see the last good status, "
                                        "marked as possibly out of date. You can post manually with "
                                        "`/admin status post`."
                                    ),
                                )
                            ],
                        )
                    )
        if queued:
            self.on_queued()

    async def health(self) -> FeedHealth:
        async with self.db.sessions() as session:
            return FeedHealth(
                configured=self.fetcher is not None,
                paused=await Kv.get(session, "status.paused") == "1",
                last_good_at=_dt(await Kv.get(session, "feed.last_good_at")),
                last_error=await Kv.get(session, "feed.last_error"),
                last_error_at=_dt(await Kv.get(session, "feed.last_error_at")),
                failures=int(await Kv.get(session, "feed.failures") or 0),
                updates_seen=int(await session.scalar(select(func.count()).select_from(StatusUpdate)) or 0),
            )

    async def set_paused(self, paused: bool) -> int:
        """Pause or resume automatic posting. Resuming posts what was held, in order; returns how many."""
        async with self.db.transaction() as session:
            await Kv.put(session, "status.paused", "1" if paused else None)
            if paused:
                return 0
            held = list(
                await session.scalars(
                    select(StatusUpdate)
                    .where(col(StatusUpdate.posted) == "held")
                    .order_by(col(StatusUpdate.published_at), col(StatusUpdate.id))
                )
            )
            subscribers = list(await session.scalars(select(col(Subscription.customer_id))))
            rows = []
            for row in held:
                row.posted = "queued"
                rows.extend(self._announce(row.key, subscribers))
            queued = await enqueue(session, rows)
        if queued:
            self.on_queued()
        return len(held)

    # -- what answers and people see ------------------------------------------------------------

    async def snapshot(self) -> StatusSnapshot | None:
        """The status answers quote; read at most every few seconds however many questions arrive."""
        cached = self._snapshot
        if cached is not None and (self.clock() - cached[0] < SNAPSHOT_TTL or self._snapshot_lock.locked()):
            return cached[1]  # fresh, or being refreshed right now: no question waits for the database
        async with self._snapshot_lock:  # one reader refreshes; the others share its result
            cached = self._snapshot
            if cached is not None and self.clock() - cached[0] < SNAPSHOT_TTL:
                return cached[1]
            value = await self._read_snapshot()
            self._snapshot = (self.clock(), value)
            return value

    def _changed(self) -> None:
        self._snapshot = None

    async def _read_snapshot(self) -> StatusSnapshot | None:
        async with self.db.sessions() as session:
            latest = await session.scalar(
                select(StatusUpdate).order_by(col(StatusUpdate.published_at).desc(), col(StatusUpdate.id).desc())
            )
            if latest is None:
                return None
            open_incidents = list(
                await session.scalars(
                    select(StatusUpdate)
                    .where(col(StatusUpdate.state).not_in(RESOLVED))
                    .order_by(col(StatusUpdate.published_at).desc())
                    .limit(20)
                )
            )
            last_good = _dt(await Kv.get(session, "feed.last_good_at"))
        rows: list[StatusUpdate] = []
        seen: set[str] = set()
        for r in [latest, *open_incidents]:
            if r.incident_key not in seen:
                seen.add(r.incident_key)
                rows.append(r)
        text = " ".join(describe(r) for r in rows[:3])
        version = hashlib.sha256("|".join(f"{r.key}:{r.content_hash}" for r in rows).encode()).hexdigest()[:16]
        stale = self.fetcher is not None and (last_good is None or self.clock() - last_good > self.stale_after)
        return StatusSnapshot(text=text, as_of=latest.published_at, version=version, stale=stale)

    async def latest_updates(self, limit: int = 1) -> list[StatusUpdate]:
        async with self.db.sessions() as session:
            return list(
                await session.scalars(select(StatusUpdate).order_by(col(StatusUpdate.published_at).desc()).limit(limit))
            )

    async def device_status(self, customer_id: int) -> list[DeviceRecovery]:
        async with self.db.sessions() as session:
            rows = (
                await session.execute(
                    select(Device, DeviceState)
                    .join(DeviceState, col(DeviceState.id_hash) == col(Device.id_hash), isouter=True)
                    .where(col(Device.customer_id) == customer_id)
                    .order_by(col(Device.id))
                )
            ).all()
        out = []
        for dev, st in rows:
            out.append(
                DeviceRecovery(
                    kind=dev.kind,
                    masked="****" + dev.tail,
                    state=st.state if st else "pending",
                    progress=json.loads(st.progress) if st else {},
                    updated_at=st.updated_at if st else None,
                    note=st.note if st else None,
                )
            )
        return out

    # -- subscriptions --------------------------------------------------------------------------

    async def subscribe(self, customer_id: int) -> bool:
        """True if newly subscribed."""
        try:
            async with self.db.transaction() as session:
                if await session.get(Subscription, customer_id) is not None:
                    return False
                session.add(Subscription(customer_id=customer_id))
            return True
        except IntegrityError:
            return False

    async def unsubscribe(self, customer_id: int) -> bool:
        async with self.db.transaction() as session:
            row = await session.get(Subscription, customer_id)
            if row is None:
                return False
            await session.delete(row)
            return True

    async def is_subscribed(self, customer_id: int) -> bool:
        async with self.db.sessions() as session:
            return await session.get(Subscription, customer_id) is not None

    # -- scheduled extras -----------------------------------------------------------------------

    async def summary_tick(self, slot: str | None = None) -> bool:
        """Queue a short "still working on it" post when an incident is open. Once per slot."""
        if not self.status_channel_id:
            return False
        snap = await self.snapshot()
        latest = await self.latest_updates(1)
        if snap is None or not latest or latest[0].state in RESOLVED:
            return False
        slot = slot or self.clock().strftime("%Y-%m-%dT%H:%M")
        async with self.db.transaction() as session:
            queued = await enqueue(
                session,
                [
                    outbox_row(
                        "post",
                        self.status_channel_id,
                        f"summary:{slot}",
                        {"kind": "summary", "text": snap.text, "as_of": snap.as_of.isoformat(), "stale": snap.stale},
                    )
                ],
            )
        if queued:
            self.on_queued()
        return bool(queued)

    async def reminder_tick(self) -> bool:
        """Remind staff once when a promised "next update by" time is about to pass without an update."""
        if self.reminder is None or not self.staff_channel_id:
            return False
        latest = await self.latest_updates(1)
        if not latest or latest[0].next_update_by is None or latest[0].state in RESOLVED:
            return False
        due = latest[0].next_update_by
        now = self.clock()
        if not (due - self.reminder <= now):
            return False
        minutes = int((due - now).total_seconds() // 60)
        when_text = f"in {minutes} minutes" if minutes > 0 else "now (it has passed)"
        async with self.db.transaction() as session:
            queued = await enqueue(
                session,
                [
                    text_post(
                        self.staff_channel_id,
                        f"remind:{latest[0].key}:{due.isoformat()}",
                        (
                            f"Reminder: the status update of {latest[0].published_at:%d %b %H:%M UTC} promised the "
                            f"next update by {due:%d %b %H:%M UTC}, which is {when_text}. "
                            "Post one with `/admin status post` if the feed has nothing new."
                        ),
                    )
                ],
            )
        if queued:
            self.on_queued()
        return bool(queued)

    # -- staff actions --------------------------------------------------------------------------

    async def manual_post(
        self, draft_id: str, *, title: str, state: str, body: str, next_update_by: datetime | None = None
    ) -> bool:
        """Post an update written by staff, exactly like a feed update (once per draft). False if done before."""
        now = self.clock()
        update_ = FeedUpdate(
            key=f"manual:{draft_id}",
            incident_key="manual",
            incident_title=title,
            state=state,
            body=body,
            published_at=now,
            content_hash=content_hash(title, state, body, {}),
            next_update_by=next_update_by,
        )
        try:
            async with self.db.transaction() as session:
                if await session.scalar(select(col(StatusUpdate.id)).where(col(StatusUpdate.key) == update_.key)):
                    return False
                await session.execute(insert(_STATE_UPDATE), [self._row(update_, "queued")])
                subscribers = list(await session.scalars(select(col(Subscription.customer_id))))
                await enqueue(session, self._announce(update_.key, subscribers))
        except IntegrityError:
            return False
        self._changed()
        self.on_queued()
        return True

    async def mark_device(self, raw: str, state: str, note: str | None = None) -> int:
        """Staff set a device's recovery state by hand; owners are told as if the feed had said it.

        Returns how many registrations were notified. Raises InvalidDeviceId for a bad ID.
        """
        normalized = parse_device_id(raw, self.serial_pattern).normalized
        ds = FeedDeviceState(
            device_id=normalized,
            state=state,
            progress={},
            updated_at=self.clock(),
            note=note,
        )
        async with self.db.transaction() as session:
            _, rows = await self._ingest_devices(session, [ds], source="staff")
            queued = await enqueue(session, rows)
        if queued:
            self.on_queued()
        return queued

    async def first_fetch_if_empty(self) -> None:
        """For `python -m bot ask`: fetch the feed once when nothing is stored yet."""
        async with self.db.sessions() as session:
            empty = not await session.scalar(select(func.count()).select_from(StatusUpdate))
        if empty and self.fetcher is not None:
            await self.poll()


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


def progress_item(name: str, p: dict[str, Any]) -> tuple[str, str]:
    """("Contacts", "partly restored (60%)") for one data type's progress."""
    state = str(p.get("state", ""))
    pct = f" ({p['percent']}%)" if p.get("percent") is not None else ""
    return name.replace("_", " ").capitalize(), DATA_STATE_LABELS.get(state, state) + pct


def progress_text(progress: dict[str, Any]) -> str:
    return "; ".join(": ".join(progress_item(name, p)) for name, p in progress.items())


def describe(row: StatusUpdate) -> str:
    body = " ".join(row.body.split())
    if len(body) > 400:
        body = body[:399] + "…"
    progress = progress_text(json.loads(row.progress or "{}"))
    text = f"{row.incident_title} ({STATE_LABELS.get(row.state, row.state)}): {body}"
    if progress:
        text += f" Progress: {progress}."
    if row.next_update_by and row.state not in RESOLVED:
        text += f" Next update promised by {row.next_update_by.astimezone(UTC):%d %b %Y, %H:%M UTC}."
    return text
