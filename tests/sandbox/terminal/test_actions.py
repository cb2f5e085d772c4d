"""Acting on what the bot sent: buttons by number, disabled and removed buttons, saving files."""

from __future__ import annotations

from pathlib import Path

from .scripted import CSV, Script


async def test_buttons_click_by_number_disabled_and_edit(term: Script) -> None:
    term.send("/panel")
    await term.expect("SandboxBot: Was this helpful?\n  [1] Helpful  [2] Not helpful  [3] Archived (disabled)")
    term.send(":click 3")
    await term.expect("! [3] “Archived” is disabled")
    term.send(":click 1")
    await term.expect("SandboxBot [only you]: Thanks, glad it helped!")
    term.send(":click 2")
    seen = await term.expect("SandboxBot (edited): Sorry about that. A person will look.")
    term.send(":click 1")
    await term.expect("! [1] “Helpful” is no longer on that message")
    term.send(":click 9")
    await term.expect("! there is no [9]")
    assert "Traceback" not in term.text and "[1]" not in seen.split("(edited)")[1]
    await term.quit()


async def test_attachment_save(term: Script, tmp_path: Path) -> None:
    term.send("/device export")
    await term.expect(f"file #1: devices.csv ({len(CSV)} B")
    target = tmp_path / "out.csv"
    term.send(f":save 1 {target}")
    await term.expect(f"saved devices.csv ({len(CSV)} B) to {target}")
    assert target.read_bytes() == CSV
    term.send(f":save 2 {target}", f":save 1 {tmp_path}/missing/dir/x.csv")
    await term.expect("! there is no file #2")
    await term.expect("! cannot write")
    await term.quit()
