from __future__ import annotations

from bot.core.text.publish import redact_payload
from bot.core.text.scanner import DEVICE_ID_REMOVED, IdScanner

SPACED = "35\u00a0209900\u2009176148\u200b1"


def test_ids_leave_every_shown_text_of_a_payload() -> None:
    payload = {
        "content": f"your phone {SPACED}",
        "embeds": [{"title": "IMEI 352099001761481", "fields": [{"name": "x", "value": SPACED}],
                    "footer": {"text": "ok"}}],
        "components": [{"type": 1, "components": [{"custom_id": "answer:123456789012345678:up", "label": "Yes"}]}],
        "allowed_mentions": {"parse": []},
        "name": f"Q: {SPACED} photos",
    }
    cleaned, changed = redact_payload(payload, IdScanner())
    assert changed == 4
    assert cleaned["content"] == f"your phone {DEVICE_ID_REMOVED}"
    assert cleaned["embeds"][0]["title"] == f"IMEI {DEVICE_ID_REMOVED}"
    assert cleaned["embeds"][0]["fields"][0]["value"] == DEVICE_ID_REMOVED
    assert cleaned["name"] == f"Q: {DEVICE_ID_REMOVED} photos"
    assert cleaned["components"] == payload["components"]  # custom IDs are not shown text
    assert payload["content"] == f"your phone {SPACED}"  # the original is not modified


def test_payload_without_ids_is_unchanged() -> None:
    payload = {"content": "Order 12345 at 17:00", "embeds": []}
    assert redact_payload(payload, IdScanner()) == (payload, 0)
