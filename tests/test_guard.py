"""The publish guard on its own: JSON bodies and multipart bodies (a message with a file) lose their IDs."""

from __future__ import annotations

import json

from bot.core.text.scanner import DEVICE_ID_REMOVED, IdScanner
from bot.guard import PublishGuard

SPACED = "35\u00a0209900\u2009176148\u200b1"


def test_a_multipart_body_loses_its_ids_and_keeps_its_files() -> None:
    guard = PublishGuard(IdScanner())
    form = [
        {"name": "payload_json", "value": json.dumps({"content": f"export for {SPACED}", "attachments": []})},
        {"name": "files[0]", "value": b"raw,bytes\n", "filename": "export.csv", "content_type": "text/csv"},
    ]
    cleaned = guard.clean_form(form, "POST /channels/1/messages")
    assert json.loads(cleaned[0]["value"])["content"] == f"export for {DEVICE_ID_REMOVED}"
    assert cleaned[1] == form[1]  # files are not message text: staff exports go out as they are
    assert guard.removed == 1


def test_a_clean_body_is_left_alone() -> None:
    guard = PublishGuard(IdScanner())
    body = {"content": "Order 12345 at 17:00", "embeds": [{"title": "Status"}]}
    assert guard.clean_json(body, "POST /channels/1/messages") == body
    assert guard.removed == 0
