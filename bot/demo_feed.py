"""The sample incident's status feed for `python -m bot sandbox`, with its times moved to the present."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


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
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(moved, indent=2), encoding="utf-8")
    return target


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
        return (datetime.fromisoformat(node) + delta).astimezone(UTC).isoformat().replace("+00:00", "Z")
    return node
