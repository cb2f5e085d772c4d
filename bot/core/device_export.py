"""The device CSV staff open in a spreadsheet: every registration, its owner, and how far its data came back."""

from __future__ import annotations

import csv
import json
from typing import IO

from sqlalchemy import select
from sqlmodel import col

from bot.core.crypto import DeviceCipher
from bot.core.db import Database
from bot.core.models import Device, DeviceState


async def export_csv(
    db: Database, cipher: DeviceCipher, out: IO[str], *, batch: int = 5000, spreadsheet: bool = True
) -> int:
    """Stream every registration, with the full decrypted ID, as CSV. Staff only; returns the row count.

    One row per registration: who (id and username), the device, whether it needs review, and its
    recovery: the overall state and one column per data type ("photos: partly restored (60%)").
    With `spreadsheet`, long numbers are written as ="490154203237518": Excel, LibreOffice and Google
    Sheets all open that as the text itself, where a bare 15 to 19-digit number is rounded to 15
    significant digits (and a leading apostrophe or tab is shown, or dropped, depending on the program).
    """
    async with db.sessions() as session:
        registered = select(col(Device.id_hash))
        states = {
            s.id_hash: s
            for s in await session.scalars(select(DeviceState).where(col(DeviceState.id_hash).in_(registered)))
        }
    data_types = sorted({name for s in states.values() for name in _progress(s)})
    writer = csv.writer(out)
    writer.writerow(
        [
            "registration_id",
            "customer_id",
            "username",
            "kind",
            "device_id",
            "needs_review",
            "registered_at",
            "recovery_state",
            "recovery_updated_at",
            *data_types,
        ]
    )
    text = _as_text if spreadsheet else str
    n = 0
    query = select(
        col(Device.id),
        col(Device.customer_id),
        col(Device.username),
        col(Device.kind),
        col(Device.id_cipher),
        col(Device.needs_review),
        col(Device.created_at),
        col(Device.id_hash),
    ).order_by(col(Device.id))
    async with db.engine.connect() as conn:
        stream = await conn.stream(query.execution_options(yield_per=batch))
        async for part in stream.partitions(batch):
            rows = []
            for r in part:
                state = states.get(r[7])
                progress = _progress(state) if state is not None else {}
                rows.append(
                    [
                        r[0],
                        text(str(r[1])),
                        r[2],
                        r[3],
                        text(cipher.decrypt(r[4])),
                        "yes" if r[5] else "no",
                        r[6].isoformat(),
                        state.state if state is not None else "pending",
                        state.updated_at.isoformat() if state is not None else "",
                        *(progress.get(name, "") for name in data_types),
                    ]
                )
            writer.writerows(rows)
            n += len(part)
    return n


def _as_text(value: str) -> str:
    """A number as a spreadsheet formula that yields the text itself: never rounded, leading zeros kept."""
    return f'="{value}"' if value.isdigit() else value


def _progress(state: DeviceState) -> dict[str, str]:
    """{data type: "partly restored (60%)"} from a device's recovery state."""
    try:
        raw = json.loads(state.progress or "{}")
    except ValueError:
        return {}
    out = {}
    for name, p in raw.items() if isinstance(raw, dict) else []:
        if isinstance(p, dict):
            pct = f" ({p['percent']}%)" if p.get("percent") is not None else ""
            out[str(name)] = str(p.get("state", "")).replace("_", " ") + pct
    return out
