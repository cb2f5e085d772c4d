"""The sandbox's sample incident: consistent with itself, and moving on along its scripted timeline."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.core.feeds import parse_feed
from bot.demo_feed import DemoTimeline
from tests.helpers import REPO, SAMPLE_RECOVERY

TIMELINE = REPO / "prompts" / "sample-status" / "timeline.json"
START = datetime(2026, 11, 29, 20, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _promises_are_kept(doc: dict[str, Any]) -> None:
    """Every promised "next update by" lies after its own update and is kept by the next update."""
    for incident in doc["incidents"]:
        updates = sorted(incident["updates"], key=lambda u: u["published_at"])
        for update, after in zip(updates, [*updates[1:], None], strict=True):
            promised = update.get("next_update_by")
            if promised is None:
                continue
            assert promised > update["published_at"], update["id"]
            if after is not None:
                assert after["published_at"] <= promised, f"{update['id']} promised {promised}"


def test_the_sample_feed_keeps_its_promises() -> None:
    _promises_are_kept(json.loads(SAMPLE_RECOVERY.read_text(encoding="utf-8")))


def _timeline(tmp_path: Path, clock: Clock, step: float = 60) -> DemoTimeline:
    return DemoTimeline(SAMPLE_RECOVERY, TIMELINE, tmp_path, step_seconds=step, clock=clock)


def _read(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def test_the_incident_moves_on_one_step_a_minute(tmp_path: Path) -> None:
    clock = Clock(START)
    timeline = _timeline(tmp_path, clock)
    feed = timeline.start()
    first = parse_feed(feed.read_bytes(), "recovery", now=clock.now)
    assert len(first.incidents[0].updates) == 5
    assert first.incidents[0].updates[-1].published_at == START - timedelta(hours=1)  # shifted to the present
    assert timeline.next_at() == START + timedelta(minutes=1)

    seen = []
    for minute in range(1, len(timeline.steps) + 2):
        clock.now = START + timedelta(minutes=minute, seconds=1)
        timeline.advance()
        doc = _read(feed)
        _promises_are_kept(doc)
        snap = parse_feed(feed.read_bytes(), "recovery", now=clock.now)
        seen.append(snap)
    updates = {u.key.rsplit(":", 1)[1]: u for u in seen[0].incidents[0].updates}
    assert updates["u6"].published_at == START + timedelta(minutes=1) and updates["u6"].edited_at is None
    assert updates["u6"].progress["photos"].percent == 70
    edited = {u.key.rsplit(":", 1)[1]: u for u in seen[1].incidents[0].updates}["u6"]
    assert edited.edited_at == START + timedelta(minutes=2) and edited.content_hash != updates["u6"].content_hash
    device = {d.device_id: d for d in seen[2].device_states}["358912048361525"]
    assert device.state == "restored" and device.updated_at == START + timedelta(minutes=3)
    assert {d.device_id: d for d in seen[1].device_states}["358912048361525"].state == "in_progress"
    last = seen[-1].incidents[0]
    assert last.state == "resolved" and last.resolved_at == START + timedelta(minutes=6)
    assert timeline.next_at() is None


def test_a_restart_carries_on_where_the_timeline_was(tmp_path: Path) -> None:
    clock = Clock(START)
    _timeline(tmp_path, clock).start()
    base = (tmp_path / "sandbox-feed-base.json").read_bytes()
    clock.now = START + timedelta(minutes=2, seconds=30)
    again = _timeline(tmp_path, clock)  # the sandbox restarted
    feed = again.start()
    assert (tmp_path / "sandbox-feed-base.json").read_bytes() == base  # the history does not change under it
    assert again.applied == 2
    assert [u["id"] for u in _read(feed)["incidents"][0]["updates"]][-1] == "u6"


def test_the_step_length_is_configurable(tmp_path: Path) -> None:
    clock = Clock(START)
    timeline = _timeline(tmp_path, clock, step=5)
    timeline.start()
    clock.now = START + timedelta(seconds=11)
    assert timeline.advance() == 2


async def test_a_newcomer_sees_posts_an_edit_and_a_recovery_dm_arrive(tmp_path: Path) -> None:
    """The timeline through the real status service: what the bot makes of each step."""
    from bot.core.crypto import DeviceCipher
    from bot.core.models import StatusUpdate
    from bot.core.outbox.worker import OutboxWorker
    from bot.core.registry import DeviceRegistry
    from bot.sandbox_app import DEMO_DEVICE
    from tests.helpers import TEST_KEY, RecordingSender, outbox_rows, sqlite_database, status_service

    clock = Clock(START)
    timeline = _timeline(tmp_path, clock)
    feed = timeline.start()
    async with sqlite_database(tmp_path / "bot.db") as db:
        await DeviceRegistry(db, DeviceCipher(TEST_KEY)).register(42, DEMO_DEVICE)  # the newcomer's phone
        svc = status_service(db, clock=clock)
        sender = RecordingSender()
        worker = OutboxWorker(db, sender, hook=svc.delivery_hook, dm_per_second=20)

        async def step(minute: int) -> None:
            clock.now = START + timedelta(minutes=minute, seconds=1)
            timeline.advance()
            await svc.ingest(parse_feed(feed.read_bytes(), "recovery", now=clock.now))
            await worker.deliver_due()

        await step(0)
        assert [i.route for i in sender.sent] == ["post"]  # the current state
        await step(1)
        assert [i.route for i in sender.sent] == ["post", "post"]  # a new update
        await step(2)
        assert [i.route for i in sender.sent][-1] == "edit"  # the same update, rewritten
        await step(3)
        dm = sender.sent[-1]
        assert (dm.route, dm.target_id) == ("dm", 42)  # its recovery message
        assert DEMO_DEVICE not in str(dm.notice) and "tail='1525'" in str(dm.notice)
        for minute in range(4, 7):
            await step(minute)
        assert not [r for r in await outbox_rows(db) if r.status != "sent"]
        [latest] = await svc.latest_updates(1)
        assert isinstance(latest, StatusUpdate) and latest.state == "resolved"
