from __future__ import annotations

from datetime import UTC, datetime

import discord
import pytest

from bot.core.outbox.delivery import DeliveryFailed
from bot.core.outbox.notices import (
    BroadcastDm,
    DeviceNotice,
    Progress,
    StatusEdit,
    StatusPost,
    StatusView,
    Summary,
    TextPost,
    TicketClosed,
    TicketOpened,
)
from bot.ui.notices import render, status_embed

AT = datetime(2026, 11, 28, 11, tzinfo=UTC)
NEXT = datetime(2026, 11, 28, 15, tzinfo=UTC)
VIEW = StatusView(
    key="k",
    incident="Sync outage",
    state="recovering",
    body="Contacts are back. @everyone **now**",
    progress={"contacts": Progress(state="partial", percent=60)},
    published_at=AT,
    next_update_by=NEXT,
    edited=True,
)


def buttons() -> discord.ui.View:
    return discord.ui.View(timeout=None)


async def test_a_status_post_in_the_channel_has_the_embed_and_the_buttons() -> None:
    out = render(StatusPost(key="k", update=VIEW), "post", subscribe_view=buttons)
    embed = out["embed"]
    assert set(out) == {"embed", "view"}
    assert embed.title == "Recovering: Sync outage"
    assert "@\u200beveryone" in embed.description and "\\*\\*now\\*\\*" in embed.description  # defused, escaped
    assert (embed.fields[0].name, embed.fields[0].value) == ("Contacts", "partly restored (60%)")
    assert embed.fields[1].name == "Next update by" and embed.fields[1].value == f"<t:{int(NEXT.timestamp())}:f>"
    assert embed.footer.text == "Status as of 28 Nov 2026, 11:00 UTC · edited"
    assert embed.timestamp is None  # the footer already says the time: once (issue 15)


async def test_a_status_by_dm_or_as_an_edit_has_no_buttons() -> None:
    assert set(render(StatusPost(key="k", update=VIEW), "dm", subscribe_view=buttons)) == {"embed"}
    assert set(render(StatusEdit(key="k", update=VIEW), "edit", subscribe_view=buttons)) == {"embed"}


def test_a_status_whose_update_was_not_filled_in_is_not_sent() -> None:
    with pytest.raises(DeliveryFailed):
        render(StatusPost(key="k"), "post")


def test_a_resolved_status_promises_no_next_update() -> None:
    embed = status_embed(VIEW.model_copy(update={"state": "resolved"}))
    assert [f.name for f in embed.fields] == ["Contacts"] and embed.title == "Resolved: Sync outage"


def test_a_preview_without_a_key_or_progress_renders() -> None:
    embed = status_embed(StatusView(incident="Draft", state="monitoring", body="B", published_at=AT))
    assert embed.title == "Monitoring: Draft" and embed.footer.text == "Status as of 28 Nov 2026, 11:00 UTC"


def test_a_huge_status_fits_in_one_embed() -> None:
    many = {f"kind_{i}": Progress(state="restored") for i in range(40)}
    embed = status_embed(VIEW.model_copy(update={"body": "x" * 10_000, "incident": "y" * 1000, "progress": many}))
    assert len(embed) <= 6000 and len(embed.fields) <= 25 and len(embed.title or "") <= 256


def test_summary_device_text_and_broadcast() -> None:
    summary = render(Summary(text="Still restoring photos.", as_of=AT, stale=True), "post")["embed"]
    assert summary.title == "Still working on it" and "may be out of date" in summary.fields[0].value
    device = render(
        DeviceNotice(
            device_kind="imei",
            tail="7518",
            state="restored",
            progress={"contacts": Progress(state="restored")},
            note="See <@123>",
            updated_at=AT,
        ),
        "dm",
    )["content"]
    assert device.startswith("Good news: the data for your IMEI ****7518 has been restored.")
    assert "• Contacts: restored" in device and "<@123>" not in device
    assert render(TextPost(content="x" * 3000), "post") == {"content": "x" * 2000}
    broadcast = render(BroadcastDm(content="Hello _all_"), "dm")["content"]
    assert broadcast.startswith("Hello \\_all\\_") and broadcast.endswith("Reply here with any question.)")


def test_the_time_is_shown_once() -> None:
    post = render(StatusPost(key="k", update=VIEW), "post")["embed"].to_dict()
    assert "timestamp" not in post  # Discord prints an embed's timestamp beside the footer: twice
    assert post["footer"]["text"] == "Status as of 28 Nov 2026, 11:00 UTC · edited"
    summary = render(Summary(text="Still restoring.", as_of=AT), "post")["embed"].to_dict()
    assert "timestamp" not in summary and str(summary).count("<t:") == 1


def test_a_closed_ticket_says_why_and_offers_to_reopen() -> None:
    def reopen(ticket: int) -> discord.ui.View:
        view = discord.ui.View(timeout=None)
        view.add_item(discord.ui.Button(label="reopen", custom_id=f"ticket:reopen:{ticket}"))
        return view

    out = render(TicketClosed(ticket=7, reason="Restored <@123> **all**"), "dm", reopen_view=reopen)
    assert out["content"].startswith("Our staff closed your support conversation (ticket #7).\nReason: Restored")
    assert "<@123>" not in out["content"] and "\\*\\*all\\*\\*" in out["content"]
    assert [c.custom_id for c in out["view"].children] == ["ticket:reopen:7"]  # type: ignore[attr-defined]
    silent = render(TicketClosed(ticket=8), "dm")
    assert "No reason was given." in silent["content"] and "view" not in silent


def test_a_new_ticket_notice_carries_the_claim_button() -> None:
    def claim(ticket: int) -> discord.ui.View:
        view = discord.ui.View(timeout=None)
        view.add_item(discord.ui.Button(label="Claim", custom_id=f"ticket:claim:{ticket}"))
        return view

    out = render(TicketOpened(ticket=3, content="New ticket #3"), "post", claim_view=claim)
    assert out["content"] == "New ticket #3"
    assert [c.custom_id for c in out["view"].children] == ["ticket:claim:3"]  # type: ignore[attr-defined]
