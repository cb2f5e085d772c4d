"""Discord's wire conventions: JSON responses, snowflake path parameters, JSON and multipart request bodies."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import BodyPartReader, hdrs, web

from bot.sandbox.messages import UploadedFile
from bot.sandbox.validation import DiscordError, FormErrors
from bot.sandbox.world import as_int

API_PREFIX = "/api/v10"
MAX_UPLOAD = 10 * 1024 * 1024
BODY_KEY = web.RequestKey("sandbox_body", object)
FILES_KEY = web.RequestKey("sandbox_files", list)
RESPONSE_KEY = web.RequestKey("sandbox_response", object)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """Discord answers ``Content-Type: application/json`` exactly (discord.py checks it verbatim)."""
    h = {"Content-Type": "application/json"}
    if headers:
        h.update(headers)
    return web.Response(body=json.dumps(body).encode(), status=status, headers=h)


def no_content(headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=204, headers=headers or {})


def snowflake_param(request: web.Request, key: str, kind: str) -> int:
    raw = request.match_info[key]
    v = as_int(raw)
    if v is None:
        errs = FormErrors()
        errs.add((key,), "NUMBER_TYPE_COERCE", f'Value "{raw}" is not snowflake.')
        errs.raise_if_any()
    assert v is not None
    return v


async def read_body(request: web.Request) -> tuple[Any, list[UploadedFile]]:
    """Parse JSON or multipart (payload_json + files[n]) bodies; bad JSON -> 50109 as on Discord."""
    if BODY_KEY in request:
        return request[BODY_KEY], request[FILES_KEY]
    files: list[UploadedFile] = []
    body: Any = None
    if request.content_type.startswith("multipart/"):
        reader = await request.multipart()
        total = 0
        async for part in reader:
            if not isinstance(part, BodyPartReader):
                continue
            name = part.name or ""
            if name == "payload_json":
                body = _loads(await part.read(decode=False))
            elif name.startswith("files[") and name.endswith("]") and name[6:-1].isdigit():
                data = bytes(await part.read(decode=False))
                total += len(data)
                files.append(UploadedFile(int(name[6:-1]), part.filename or f"file{name[6:-1]}", data,
                                          part.headers.get(hdrs.CONTENT_TYPE)))
            elif name == "file" or part.filename:
                data = bytes(await part.read(decode=False))
                total += len(data)
                files.append(UploadedFile(len(files), part.filename or "file", data,
                                          part.headers.get(hdrs.CONTENT_TYPE)))
        if total > MAX_UPLOAD:
            raise DiscordError(413, 40005, "Request entity too large")
    else:
        raw = await request.read()
        if raw.strip():
            body = _loads(raw)
    request[BODY_KEY] = body
    request[FILES_KEY] = files
    return body, files


def _loads(raw: bytes | bytearray | str) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DiscordError(400, 50109, "The request body contains invalid JSON.") from exc


__all__ = ["API_PREFIX", "BODY_KEY", "FILES_KEY", "MAX_UPLOAD", "RESPONSE_KEY", "json_response", "no_content",
           "read_body", "snowflake_param"]
