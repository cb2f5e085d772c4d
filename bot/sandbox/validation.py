"""Discord's request validation: message bodies, embeds, components, allowed_mentions, and errors."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.state import JSON

MAX_CONTENT = 2000
MAX_EMBEDS = 10
MAX_EMBED_TOTAL = 6000
MESSAGE_FLAGS_ALLOWED = (1 << 2) | (1 << 12) | (1 << 13) | (1 << 15)
IS_COMPONENTS_V2 = 1 << 15
EPHEMERAL = 1 << 6


class DiscordError(Exception):
    """An error answered the way Discord does: HTTP status plus ``{"code", "message"[, "errors"]}``."""

    def __init__(self, status: int, code: int, message: str, errors: JSON | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> JSON:
        b: JSON = {"message": self.message, "code": self.code}
        if self.errors is not None:
            b["errors"] = self.errors
        return b


def unknown(kind: str) -> DiscordError:
    codes = {
        "Application": 10002, "Channel": 10003, "Guild": 10004, "Member": 10007, "Message": 10008,
        "Role": 10011, "User": 10013, "Webhook": 10015, "interaction": 10062, "application command": 10063,
    }
    return DiscordError(404, codes[kind], f"Unknown {kind}")


def missing_permissions() -> DiscordError:
    return DiscordError(403, 50013, "Missing Permissions")


def missing_access() -> DiscordError:
    return DiscordError(403, 50001, "Missing Access")


class FormErrors:
    """Accumulates Discord's nested ``errors`` object and raises 50035 Invalid Form Body."""

    def __init__(self) -> None:
        self.tree: JSON = {}

    def add(self, path: tuple[str | int, ...], code: str, message: str) -> None:
        node = self.tree
        for part in path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def raise_if_any(self) -> None:
        if self.tree:
            raise DiscordError(400, 50035, "Invalid Form Body", self.tree)

    def max_len(self, path: tuple[str | int, ...], value: Any, limit: int, *, minimum: int = 0) -> None:
        if value is None:
            return
        if not isinstance(value, str):
            self.add(path, "BASE_TYPE_STRING", "Must be a string.")
        elif minimum and not (minimum <= len(value) <= limit):
            self.add(path, "BASE_TYPE_BAD_LENGTH", f"Must be between {minimum} and {limit} in length.")
        elif len(value) > limit:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def require_object(body: Any) -> JSON:
    if not isinstance(body, dict):
        errs = FormErrors()
        errs.add((), "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
        errs.raise_if_any()
    assert isinstance(body, dict)
    return body


@dataclass
class MessageDraft:
    content: str = ""
    embeds: list[JSON] = field(default_factory=list)
    components: list[JSON] = field(default_factory=list)
    attachments_meta: list[JSON] = field(default_factory=list)
    tts: bool = False
    flags: int = 0
    nonce: str | int | None = None
    enforce_nonce: bool = False
    allowed_mentions: JSON | None = None
    reference_id: int | None = None
    fail_if_not_exists: bool = True
    sticker_ids: list[Any] = field(default_factory=list)
    present: set[str] = field(default_factory=set)  # keys present in the body (for PATCH semantics)


def parse_message(body: JSON, *, files: int = 0, allowed_flags: int = MESSAGE_FLAGS_ALLOWED,
                  require_nonempty: bool = True) -> MessageDraft:
    """Validate a message create/edit body like Discord; raises DiscordError."""
    errs = FormErrors()
    d = MessageDraft(present=set(body))
    content = body.get("content")
    if content is not None:
        if not isinstance(content, str):
            errs.add(("content",), "BASE_TYPE_STRING", "Must be a string.")
        else:
            errs.max_len(("content",), content, MAX_CONTENT)
            d.content = content
    embeds = body.get("embeds")
    if "embed" in body and embeds is None and body["embed"] is not None:
        embeds = [body["embed"]]
    if embeds is not None:
        d.embeds = _validate_embeds(errs, embeds)
    flags = body.get("flags")
    if flags is not None:
        if not isinstance(flags, int) or isinstance(flags, bool):
            errs.add(("flags",), "NUMBER_TYPE_COERCE", f"Value \"{flags}\" is not int.")
        else:
            d.flags = flags & allowed_flags
    comps = body.get("components")
    if comps is not None:
        d.components = _validate_components(errs, comps, v2=bool(d.flags & IS_COMPONENTS_V2))
    tts = body.get("tts")
    if tts is not None:
        if not isinstance(tts, bool):
            errs.add(("tts",), "BASE_TYPE_BOOLEAN", "Must be either true or false.")
        else:
            d.tts = tts
    nonce = body.get("nonce")
    if nonce is not None:
        if isinstance(nonce, bool) or not isinstance(nonce, (int, str)):
            errs.add(("nonce",), "BASE_TYPE_STRING", "Must be a string.")
        elif isinstance(nonce, str) and len(nonce) > 25:
            errs.add(("nonce",), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        else:
            d.nonce = nonce
    d.enforce_nonce = body.get("enforce_nonce") is True
    am = body.get("allowed_mentions")
    if am is not None:
        d.allowed_mentions = _validate_allowed_mentions(errs, am)
    ref = body.get("message_reference")
    if ref is not None:
        if not isinstance(ref, dict):
            errs.add(("message_reference",), "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
        else:
            mid = ref.get("message_id")
            if isinstance(mid, int) and not isinstance(mid, bool):
                d.reference_id = mid
            elif isinstance(mid, str) and mid.isdigit():
                d.reference_id = int(mid)
            elif mid is not None:
                errs.add(("message_reference", "message_id"), "NUMBER_TYPE_COERCE",
                         f"Value \"{mid}\" is not snowflake.")
            d.fail_if_not_exists = ref.get("fail_if_not_exists", True) is not False
    atts = body.get("attachments")
    if atts is not None:
        if not isinstance(atts, list):
            errs.add(("attachments",), "BASE_TYPE_ARRAY", "Must be an array.")
        else:
            d.attachments_meta = [a for a in atts if isinstance(a, dict)]
    stickers = body.get("sticker_ids")
    if isinstance(stickers, list):
        d.sticker_ids = stickers
    errs.raise_if_any()
    if require_nonempty and not (d.content or d.embeds or d.components or files or d.sticker_ids
                                 or body.get("poll")):
        raise DiscordError(400, 50006, "Cannot send an empty message")
    return d


def _embed_len(e: JSON) -> int:
    n = 0
    for key in ("title", "description"):
        if isinstance(e.get(key), str):
            n += len(e[key])
    for sub, key in (("footer", "text"), ("author", "name")):
        s = e.get(sub)
        if isinstance(s, dict) and isinstance(s.get(key), str):
            n += len(s[key])
    for f in e.get("fields") or []:
        if isinstance(f, dict):
            n += len(str(f.get("name", ""))) + len(str(f.get("value", "")))
    return n


def _validate_embeds(errs: FormErrors, embeds: Any) -> list[JSON]:
    if not isinstance(embeds, list):
        errs.add(("embeds",), "BASE_TYPE_ARRAY", "Must be an array.")
        return []
    if len(embeds) > MAX_EMBEDS:
        errs.add(("embeds",), "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_EMBEDS} or fewer in length.")
    out: list[JSON] = []
    total = 0
    for i, e in enumerate(embeds):
        p: tuple[str | int, ...] = ("embeds", i)
        if not isinstance(e, dict):
            errs.add(p, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
            continue
        errs.max_len((*p, "title"), e.get("title"), 256)
        errs.max_len((*p, "description"), e.get("description"), 4096)
        footer = e.get("footer")
        if isinstance(footer, dict):
            errs.max_len((*p, "footer", "text"), footer.get("text"), 2048)
        author = e.get("author")
        if isinstance(author, dict):
            errs.max_len((*p, "author", "name"), author.get("name"), 256)
        fields = e.get("fields")
        if fields is not None:
            if not isinstance(fields, list):
                errs.add((*p, "fields"), "BASE_TYPE_ARRAY", "Must be an array.")
            else:
                if len(fields) > 25:
                    errs.add((*p, "fields"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
                for j, f in enumerate(fields):
                    fp = (*p, "fields", j)
                    if not isinstance(f, dict):
                        errs.add(fp, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
                        continue
                    for key, limit in (("name", 256), ("value", 1024)):
                        v = f.get(key)
                        if v is None or v == "":
                            errs.add((*fp, key), "BASE_TYPE_REQUIRED", "This field is required")
                        else:
                            errs.max_len((*fp, key), v, limit)
        color = e.get("color")
        if color is not None and (not isinstance(color, int) or not 0 <= color <= 0xFFFFFF):
            errs.add((*p, "color"), "NUMBER_TYPE_MAX", "int value should be <= 16777215 and >= 0.")
        total += _embed_len(e)
        out.append({"type": "rich", **e})
    if total > MAX_EMBED_TOTAL:
        errs.add(("embeds",), "MAX_EMBED_SIZE_EXCEEDED", f"Embed size exceeds maximum size of {MAX_EMBED_TOTAL}")
    return out


_SELECT_TYPES = {3, 5, 6, 7, 8}


def _validate_components(errs: FormErrors, comps: Any, *, v2: bool) -> list[JSON]:
    if not isinstance(comps, list):
        errs.add(("components",), "BASE_TYPE_ARRAY", "Must be an array.")
        return []
    seen: set[str] = set()

    def check_custom_id(path: tuple[str | int, ...], c: JSON, required: bool) -> None:
        cid = c.get("custom_id")
        if cid is None:
            if required:
                errs.add((*path, "custom_id"), "BASE_TYPE_REQUIRED", "This field is required")
            return
        errs.max_len((*path, "custom_id"), cid, 100, minimum=1)
        if isinstance(cid, str):
            if cid in seen:
                errs.add((*path, "custom_id"), "COMPONENT_CUSTOM_ID_DUPLICATED",
                         "Component custom id cannot be duplicated")
            seen.add(cid)

    def check_item(path: tuple[str | int, ...], c: Any) -> None:
        if not isinstance(c, dict):
            errs.add(path, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
            return
        t = c.get("type")
        if t == 2:
            style = c.get("style")
            if style not in (1, 2, 3, 4, 5, 6):
                errs.add((*path, "style"), "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3, 4, 5, 6}.")
            errs.max_len((*path, "label"), c.get("label"), 80)
            if style == 5:
                if not c.get("url"):
                    errs.add((*path, "url"), "BUTTON_COMPONENT_URL_REQUIRED", "A url is required")
                if c.get("custom_id") is not None:
                    errs.add((*path, "custom_id"), "BUTTON_COMPONENT_CUSTOM_ID_PROHIBITED",
                             "A custom id cannot be specified")
            elif style != 6:
                check_custom_id(path, c, required=True)
        elif t in _SELECT_TYPES:
            check_custom_id(path, c, required=True)
            errs.max_len((*path, "placeholder"), c.get("placeholder"), 150)
            opts = c.get("options")
            if t == 3 and (not isinstance(opts, list) or not 1 <= len(opts) <= 25):
                errs.add((*path, "options"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 25 in length.")
        elif t == 4:
            check_custom_id(path, c, required=True)
        elif t is None or not isinstance(t, int):
            errs.add((*path, "type"), "BASE_TYPE_REQUIRED", "This field is required")
        elif v2:
            for key in ("components",):
                sub = c.get(key)
                if isinstance(sub, list):
                    for k, s in enumerate(sub):
                        check_item((*path, key, k), s)
            if isinstance(c.get("accessory"), dict):
                check_item((*path, "accessory"), c["accessory"])

    if not v2 and len(comps) > 5:
        errs.add(("components",), "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
    for i, row in enumerate(comps):
        p: tuple[str | int, ...] = ("components", i)
        if not isinstance(row, dict):
            errs.add(p, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
            continue
        if row.get("type") != 1:
            if v2:
                check_item(p, row)
            else:
                errs.add((*p, "type"), "UNION_TYPE_CHOICES",
                         "Value of field \"type\" must be one of (1,).")
            continue
        children = row.get("components")
        if not isinstance(children, list) or not 1 <= len(children) <= 5:
            errs.add((*p, "components"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length.")
            continue
        if any(isinstance(c, dict) and c.get("type") in _SELECT_TYPES for c in children) and len(children) > 1:
            errs.add((*p, "components"), "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                     "The specified component exceeds the maximum width")
        for j, c in enumerate(children):
            check_item((*p, "components", j), c)
    return [c for c in comps if isinstance(c, dict)]


def _validate_allowed_mentions(errs: FormErrors, am: Any) -> JSON | None:
    if not isinstance(am, dict):
        errs.add(("allowed_mentions",), "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
        return None
    parse = am.get("parse", [])
    if not isinstance(parse, list) or any(p not in ("users", "roles", "everyone") for p in parse):
        errs.add(("allowed_mentions", "parse"), "BASE_TYPE_CHOICES",
                 "Value must be one of ('everyone', 'users', 'roles').")
        parse = []
    out: JSON = {"parse": set(parse), "replied_user": am.get("replied_user") is True}
    for key in ("users", "roles"):
        ids = am.get(key)
        if ids is None:
            continue
        if not isinstance(ids, list) or len(ids) > 100:
            errs.add(("allowed_mentions", key), "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
            continue
        if key in parse:
            errs.add(("allowed_mentions",), "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                     f'parse:["{key}"] and {key}: [ids...] are mutually exclusive.')
        out[key] = {int(i) for i in ids if (isinstance(i, int) and not isinstance(i, bool))
                    or (isinstance(i, str) and i.isdigit())}
    return out


_USER_RE = re.compile(r"<@!?(\d{15,21})>")
_ROLE_RE = re.compile(r"<@&(\d{15,21})>")
_EVERYONE_RE = re.compile(r"@(everyone|here)")


@dataclass
class ParsedMentions:
    users: set[int]
    roles: set[int]
    everyone: bool


def parse_mentions(content: str) -> ParsedMentions:
    return ParsedMentions(
        users={int(m) for m in _USER_RE.findall(content)},
        roles={int(m) for m in _ROLE_RE.findall(content)},
        everyone=bool(_EVERYONE_RE.search(content)),
    )
