"""The sample incident's status feed for `python -m bot sandbox`: moved to the present, and moving on.

The sample feed (prompts/sample-status/recovery.json) is shifted once so its latest update is an
hour old. From the sandbox's first start on, the scripted timeline (timeline.json next to it) adds
one step every `step_seconds`: a new update, an edit in place, a device restored. The bot polls the
file like any feed, so a newcomer sees posts, an edit and a recovery DM arrive. The shifted base and
the start time are kept in the data directory: a restart carries on where the timeline was.
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
PROMISE = timedelta(minutes=30)
"""What a scripted update promises: the next one within half an hour (the next step comes sooner)."""


def shifted_feed(template: Path, target: Path, *, now: datetime | None = None) -> Path:
    """Write `template` to `target` with every timestamp moved so the latest update is an hour old.

    Written once: later starts keep the same file, so the demo's history does not change under it.
    """
    if target.exists():
        return target
    doc = json.loads(template.read_text(encoding="utf-8"))
    stamps = [datetime.fromisoformat(v) for v in _walk(doc) if isinstance(v, str) and _STAMP.match(v)]
    published = [
        datetime.fromisoformat(u["published_at"]) for inc in doc.get("incidents", []) for u in inc.get("updates", [])
    ]
    anchor = max(published or stamps)
    delta = ((now or datetime.now(UTC)) - timedelta(hours=1)) - anchor
    moved = _shift(doc, delta)
    _write(target, moved)
    return target


class DemoTimeline:
    """The sample feed plus the timeline steps that are due; `advance()` rewrites the feed file."""

    def __init__(
        self,
        template: Path,
        timeline: Path,
        data_dir: Path,
        *,
        step_seconds: float = 60.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.template = template
        self.steps: list[dict[str, Any]] = (
            json.loads(timeline.read_text(encoding="utf-8")).get("steps", []) if timeline.is_file() else []
        )
        self.base_path = data_dir / "sandbox-feed-base.json"
        self.feed_path = data_dir / "sandbox-feed.json"
        self.state_path = data_dir / "sandbox-timeline.json"
        self.step = timedelta(seconds=step_seconds)
        self.clock = clock
        self.applied = -1

    def start(self) -> Path:
        """Prepare the base and the start time (once per data directory); write the feed as of now."""
        if not self.base_path.exists():
            if self.feed_path.exists():  # a sandbox from before the timeline: its feed is the base
                self.base_path.write_bytes(self.feed_path.read_bytes())
            else:
                shifted_feed(self.template, self.base_path, now=self.clock())
        if not self.state_path.exists():
            _write(self.state_path, {"started_at": _iso(self.clock())})
        self.applied = -1
        self.advance()
        return self.feed_path

    @property
    def started_at(self) -> datetime:
        return datetime.fromisoformat(json.loads(self.state_path.read_text(encoding="utf-8"))["started_at"])

    def due(self, now: datetime | None = None) -> int:
        """How many steps have come by `now`."""
        elapsed = (now or self.clock()) - self.started_at
        return max(0, min(len(self.steps), int(elapsed / self.step)))

    def next_at(self) -> datetime | None:
        count = self.due()
        return None if count >= len(self.steps) else self.started_at + (count + 1) * self.step

    def advance(self, now: datetime | None = None) -> int:
        """Rewrite the feed when another step has come; returns how many steps are applied."""
        count = self.due(now)
        if count != self.applied:
            self.applied = count
            _write(self.feed_path, self.document(count))
        return count

    def document(self, count: int) -> dict[str, Any]:
        doc = json.loads(self.base_path.read_text(encoding="utf-8"))
        incident = doc["incidents"][0]
        latest = max(datetime.fromisoformat(u["published_at"]) for u in incident["updates"])
        for index, step in enumerate(self.steps[:count]):
            at = self.started_at + (index + 1) * self.step
            latest = max(latest, at)
            _apply(doc, incident, step, at)
        doc["generated_at"] = _iso(latest)
        return doc


def _apply(doc: dict[str, Any], incident: dict[str, Any], step: dict[str, Any], at: datetime) -> None:
    stamp = _iso(at)
    if "update" in step:
        update = copy.deepcopy(step["update"])
        update["published_at"] = stamp
        if update["state"] not in ("resolved", "postmortem", "completed"):
            update["next_update_by"] = _iso(at + PROMISE)
        incident["updates"].append(update)
        incident["state"] = update["state"]
        if update["state"] in ("resolved", "completed"):
            incident["resolved_at"] = stamp
    elif "edit" in step:
        edit = step["edit"]
        target = next(u for u in incident["updates"] if u["id"] == edit["id"])
        target["body"] = edit["body"]
        target["edited_at"] = stamp
    elif "device" in step:
        device = {**copy.deepcopy(step["device"]), "updated_at": stamp}
        items = doc.setdefault("devices", {"items": []})["items"]
        items[:] = [d for d in items if d["device_id"] != device["device_id"]] + [device]
    incident["updated_at"] = stamp


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _write(path: Path, doc: dict[str, Any]) -> None:
    """Atomically: the bot may read the feed file at any moment."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    os.replace(tmp, path)


def _walk(node: Any) -> list[Any]:
    if isinstance(node, dict):
        return [x for v in node.values() for x in _walk(v)]
    if isinstance(node, list):
        return [x for v in node for x in _walk(v)]
    return [node]


def _shift(node: Any, delta: timedelta) -> Any:
    if isinstance(node, dict):
        return {k: _shift(v, delta) for k, v in node.items()}
    if isinstance(node, list):
        return [_shift(v, delta) for v in node]
    if isinstance(node, str) and _STAMP.match(node):
        return _iso(datetime.fromisoformat(node) + delta)
    return node
