from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.core.outbox.notices import (
    BadNotice,
    BroadcastDm,
    DeviceNotice,
    Notice,
    Progress,
    StatusEdit,
    StatusPost,
    StatusView,
    Summary,
    TextPost,
    dump_notice,
    parse_notice,
)

AT = datetime(2026, 11, 28, 11, tzinfo=UTC)
EVERY_KIND: list[tuple[Notice, str]] = [
    (StatusPost(key="k"), "post"),
    (StatusPost(key="k"), "dm"),
    (StatusEdit(key="k"), "edit"),
    (Summary(text="Still on it.", as_of=AT, stale=True), "post"),
    (
        DeviceNotice(
            device_kind="imei", tail="7518", state="partial", progress={"photos": Progress(state="partial")},
            note="n", updated_at=AT,
        ),
        "dm",
    ),
    (TextPost(content="Feed down."), "post"),
    (BroadcastDm(content="Hello all."), "dm"),
]


@pytest.mark.parametrize(("notice", "route"), EVERY_KIND, ids=[f"{n.kind}-{r}" for n, r in EVERY_KIND])
def test_every_kind_survives_the_payload_column(notice: Notice, route: str) -> None:
    assert parse_notice(dump_notice(notice), route) == notice


def test_a_status_post_is_stored_as_its_key_only() -> None:
    filled = StatusPost(key="k", update=StatusView(incident="I", state="monitoring", body="B"), shown_hash="h")
    assert json.loads(dump_notice(StatusPost(key="k"))) == {"kind": "status", "key": "k"}
    assert parse_notice(dump_notice(filled), "post") == filled


def test_payloads_written_before_notices_were_typed_still_read() -> None:
    assert parse_notice('{"kind":"status","key":"k"}', "edit") == StatusEdit(key="k")
    old_device = (
        '{"kind":"device","device_kind":"imei","tail":"7518","state":"restored",'
        '"progress":{"contacts":{"state":"restored","percent":null}},"note":null,'
        '"updated_at":"2026-11-28T11:00:00+00:00"}'
    )
    device = parse_notice(old_device, "dm")
    assert isinstance(device, DeviceNotice) and device.updated_at == AT
    summary = parse_notice('{"kind":"summary","text":"t","as_of":"2026-11-28T11:00:00+00:00","stale":false}', "post")
    assert summary == Summary(text="t", as_of=AT)


@pytest.mark.parametrize(
    ("raw", "route", "why"),
    [
        ("not json", "post", "unreadable"),
        ("[1, 2]", "post", "unreadable"),
        ('{"kind": "poem", "text": "x"}', "post", "unreadable"),
        ('{"kind": "device", "tail": "1234"}', "dm", "device_kind"),
        ('{"kind": "text", "content": "x", "extra": 1}', "post", "extra"),
        ('{"kind": "summary", "text": "x", "as_of": "2026-11-28T11:00:00Z"}', "dm", "cannot go by 'dm'"),
        ('{"kind": "broadcast", "content": "x"}', "post", "cannot go by 'post'"),
        ('{"kind": "status_edit", "key": "k"}', "post", "cannot go by 'post'"),
    ],
)
def test_anything_else_is_refused_with_a_reason(raw: str, route: str, why: str) -> None:
    with pytest.raises(BadNotice, match=why):
        parse_notice(raw, route)
