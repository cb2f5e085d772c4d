"""Forms (modals) from the terminal: each field at its prompt, checked, re-asked, submitted or dismissed."""

from __future__ import annotations

from bot.sandbox.terminal.forms import modal_fields

from .scripted import Script


def test_fields_in_action_rows_and_in_labels() -> None:
    modal = [
        {"type": 1, "components": [{"type": 4, "custom_id": "device", "label": "IMEI"}]},
        {"type": 18, "label": "Why", "description": "in a sentence", "component": {"type": 4, "custom_id": "why"}},
        {"type": 18, "component": {"type": 3, "custom_id": "os", "options": []}},
        {"type": 10, "content": "text only: not a field"},
    ]
    assert [(label, c["custom_id"]) for label, c in modal_fields(modal)] == [
        ("IMEI", "device"), ("Why - in a sentence", "why"), ("os", "os")]


async def test_modal_prompts_reask_and_submit(term: Script) -> None:
    term.send("/device register")
    await term.expect("» SandboxBot opened a form: “Register your phone”")
    await term.expect("IMEI or MEID (max 20 chars, required): ")
    term.send("")
    await term.expect("! IMEI or MEID is required")
    await term.expect("IMEI or MEID (max 20 chars, required): ")
    term.send("1" * 21)
    await term.expect("! IMEI or MEID: between 0 and 20 characters, please (21 given)")
    term.send("352099001761481")
    await term.expect("Nickname (max 30 chars, optional): ")
    term.send("work phone")
    await term.expect("SandboxBot [only you]: registered 352099001761481 as work phone")
    term.send("/device register", ":cancel")
    await term.expect("(form dismissed)")
    await term.quit()
