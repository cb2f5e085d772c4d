"""docs/recovery-feed.schema.json and the parser's models must accept and reject the same payloads."""

from __future__ import annotations

import copy
import json
import re
from datetime import datetime
from typing import Any, get_args

import pytest

from bot.core.feeds import FeedError, parse_feed
from bot.core.feeds import recovery as rec
from bot.core.feeds.models import DATA_STATES, DEVICE_STATES
from tests.helpers import NOW, SAMPLE_RECOVERY, SCHEMA

_TYPES: dict[str, Any] = {
    "object": dict, "array": list, "string": str, "null": type(None), "boolean": bool,
    "integer": int, "number": (int, float),
}  # fmt: skip


def _errors(value: Any, schema: dict[str, Any], root: dict[str, Any], path: str = "$") -> list[str]:
    """A small validator for the JSON Schema keywords our schema uses (jsonschema is not installed)."""
    if "$ref" in schema:
        return _errors(value, root["$defs"][schema["$ref"].rsplit("/", 1)[1]], root, path)
    errors: list[str] = []
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        ok = any(isinstance(value, _TYPES[n]) and not (n in ("integer", "number") and isinstance(value, bool))
                 for n in names)  # fmt: skip
        if not ok:
            return [f"{path}: not {names}"]
    if "const" in schema and (value != schema["const"] or type(value) is not type(schema["const"])):
        errors.append(f"{path}: not const")
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: not in enum")
    if "anyOf" in schema and all(_errors(value, s, root, path) for s in schema["anyOf"]):
        errors.append(f"{path}: matches no anyOf branch")
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0) or len(value) > schema.get("maxLength", 10**9):
            errors.append(f"{path}: bad length")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append(f"{path}: pattern")
        if schema.get("format") == "date-time":
            try:
                if datetime.fromisoformat(value).tzinfo is None:
                    errors.append(f"{path}: no offset")
            except ValueError:
                errors.append(f"{path}: not date-time")
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if is_number and not schema.get("minimum", -(10**18)) <= value <= schema.get("maximum", 10**18):
        errors.append(f"{path}: out of range")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            errors += _errors(item, schema["items"], root, f"{path}[{i}]")
    if isinstance(value, dict):
        errors += [f"{path}.{k}: required" for k in schema.get("required", []) if k not in value]
        props = schema.get("properties", {})
        for key, item in value.items():
            if "propertyNames" in schema:
                errors += _errors(key, schema["propertyNames"], root, f"{path}.<{key}>")
            if key in props:
                errors += _errors(item, props[key], root, f"{path}.{key}")
            elif schema.get("additionalProperties") is False:
                errors.append(f"{path}.{key}: not allowed")
            elif isinstance(schema.get("additionalProperties"), dict):
                errors += _errors(item, schema["additionalProperties"], root, f"{path}.{key}")
    return errors


def _schema() -> dict[str, Any]:
    return json.loads(SCHEMA.read_bytes())


def _sample() -> dict[str, Any]:
    return json.loads(SAMPLE_RECOVERY.read_bytes())


def _parser_accepts(data: Any) -> bool:
    try:
        parse_feed(json.dumps(data).encode(), fmt="recovery", now=NOW)
    except FeedError:
        return False
    return True


def _inc(d: dict[str, Any]) -> dict[str, Any]:
    return d["incidents"][0]


def _upd(d: dict[str, Any]) -> dict[str, Any]:
    return d["incidents"][0]["updates"][0]


def _dev(d: dict[str, Any]) -> dict[str, Any]:
    return d["devices"]["items"][0]


VALID_VARIANTS = {
    "sample": lambda d: None,
    "no devices": lambda d: d.pop("devices"),
    "no incidents": lambda d: d.pop("incidents"),
    "null cursor": lambda d: d["devices"].update(next_cursor=None),
    "null optional times": lambda d: _upd(d).update(edited_at=None, next_update_by=None),
    "offset time": lambda d: _upd(d).update(published_at="2009-10-02T10:40:00-07:00"),
    "percent null": lambda d: _upd(d)["progress"]["contacts"].update(percent=None),
    "custom data type": lambda d: _dev(d)["progress"].update(voice_memos={"state": "restored", "percent": 100}),
    "meid device": lambda d: _dev(d).update(device_id="A0000012345678"),
    "null note": lambda d: _dev(d).update(note=None),
}
INVALID_VARIANTS = {
    "version 2": lambda d: d.update(version=2),
    "version string": lambda d: d.update(version="1"),
    "missing generated_at": lambda d: d.pop("generated_at"),
    "extra top-level": lambda d: d.update(extra=True),
    "unknown incident state": lambda d: _inc(d).update(state="fixed"),
    "unknown impact": lambda d: _inc(d).update(impact="huge"),
    "missing title": lambda d: _inc(d).pop("title"),
    "empty title": lambda d: _inc(d).update(title=""),
    "bad url": lambda d: _inc(d).update(url="ftp://x"),
    "bad update id": lambda d: _upd(d).update(id="has space"),
    "body not string": lambda d: _upd(d).update(body=5),
    "no offset": lambda d: _upd(d).update(published_at="2009-10-02T17:40:00"),
    "not a date": lambda d: _upd(d).update(published_at="soon"),
    "percent 101": lambda d: _upd(d)["progress"]["contacts"].update(percent=101),
    "percent float": lambda d: _upd(d)["progress"]["contacts"].update(percent=50.5),
    "percent bool": lambda d: _upd(d)["progress"]["contacts"].update(percent=True),
    "bad data state": lambda d: _upd(d)["progress"]["contacts"].update(state="done"),
    "bad data key": lambda d: _upd(d)["progress"].update(Photos={"state": "pending"}),
    "progress extra": lambda d: _upd(d)["progress"]["contacts"].update(eta="soon"),
    "device state": lambda d: _dev(d).update(state="fixed"),
    "device id space": lambda d: _dev(d).update(device_id="35 89"),
    "device id empty": lambda d: _dev(d).update(device_id=""),
    "device id number": lambda d: _dev(d).update(device_id=358912044926057),
    "device missing updated_at": lambda d: _dev(d).pop("updated_at"),
    "device extra": lambda d: _dev(d).update(imsi="x"),
    "device progress null": lambda d: _dev(d).update(progress=None),
    "note too long": lambda d: _dev(d).update(note="x" * 501),
    "devices without items": lambda d: d["devices"].pop("items"),
    "cursor empty": lambda d: d["devices"].update(next_cursor=""),
    "incidents not list": lambda d: d.update(incidents={}),
}


def _variant(mutate: Any) -> dict[str, Any]:
    data = copy.deepcopy(_sample())
    mutate(data)
    return data


@pytest.mark.parametrize("name", sorted(VALID_VARIANTS))
def test_valid_payloads_pass_schema_and_parser(name: str) -> None:
    data = _variant(VALID_VARIANTS[name])
    assert _errors(data, _schema(), _schema()) == []
    assert _parser_accepts(data)


@pytest.mark.parametrize("name", sorted(INVALID_VARIANTS))
def test_invalid_payloads_fail_schema_and_parser(name: str) -> None:
    data = _variant(INVALID_VARIANTS[name])
    assert _errors(data, _schema(), _schema()) != []
    assert not _parser_accepts(data)


def test_with_jsonschema_when_installed() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(_schema(), format_checker=jsonschema.FormatChecker())
    validator.check_schema(_schema())
    assert list(validator.iter_errors(_sample())) == []
    for mutate in INVALID_VARIANTS.values():
        assert list(validator.iter_errors(_variant(mutate))) != []


def test_enums_and_patterns_match_the_models() -> None:
    schema = _schema()
    defs = schema["$defs"]
    assert set(defs["update_state"]["enum"]) == set(get_args(rec.SourceState))
    assert set(defs["impact"]["enum"]) == set(get_args(rec.SourceImpact))
    assert set(defs["device"]["properties"]["state"]["enum"]) == DEVICE_STATES
    assert set(defs["progress"]["additionalProperties"]["properties"]["state"]["enum"]) == DATA_STATES
    assert defs["id"]["pattern"] == rec.ID_PATTERN
    assert defs["device"]["properties"]["device_id"]["pattern"] == rec.DEVICE_ID_PATTERN
    assert defs["progress"]["propertyNames"]["pattern"] == rec.DATA_KEY_PATTERN
    assert set(defs["device"]["properties"]) == set(rec._DEVICE_KEYS)
    models = {"incident": rec.IncidentIn, "update": rec.UpdateIn}
    for name, model in models.items():
        assert set(defs[name]["properties"]) == set(model.model_fields)
        assert set(defs[name]["required"]) == {k for k, f in model.model_fields.items() if f.is_required()}
    assert set(schema["properties"]) == set(rec.RecoveryFeedIn.model_fields)
    assert set(schema["required"]) == {k for k, f in rec.RecoveryFeedIn.model_fields.items() if f.is_required()}
