"""Open311 GeoReport v2: the wire format, pure and I/O-free.

What lives here: resource names with their format suffix (``requests.json``; XML when there is
none, as the spec makes XML the required format), W3C/ISO 8601 dates, the query rules of
``GET requests`` (90 days at most, ``status`` open/closed, the ``page``/``page_size``
extension), the ``attribute[code]`` form fields of ``POST requests`` checked against a
category's questions, and one renderer that turns the same plain data into the spec's XML or
its JSON twin (the "Spark convention": list containers become arrays).

The spec: http://wiki.open311.org/GeoReport_v2 ; service request updates are mySociety's
FixMyStreet extension (``servicerequestupdates``).
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET  # builds XML only: nothing here parses XML
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, Literal
from urllib.parse import parse_qsl

import msgspec

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# Bumped when the shape of services or definitions changes (discovery's "changeset").
CHANGESET = "2026-11-23T00:00:00Z"

Format = Literal["xml", "json"]
FORMATS: dict[str, Format] = {"xml": "xml", "json": "json"}
CONTENT_TYPES: dict[Format, str] = {
    "xml": "text/xml; charset=utf-8",
    "json": "application/json; charset=utf-8",
}

MAX_RANGE = timedelta(days=90)
DEFAULT_PAGE_SIZE = 1000  # the spec's default limit: the first 1000 requests
MAX_PAGE_SIZE = 1000
MAX_IDS = 100  # service_request_id=a,b,c ...

# XML element name of one item of each list container.
ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "service_request_updates": "request_update",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


class Open311Refused(Exception):
    """A request the spec says to refuse: ``status`` is 400, 403 or 404; ``code`` names the
    catalog message (translated ``description`` of the error)."""

    def __init__(self, status: int, code: str, /, **params: Any) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.params = params


# ------------------------------------------------------------------ resources
def split_format(name: str) -> tuple[str, Format]:
    """``requests.json`` → (``requests``, json); no suffix → XML, the spec's required format."""
    base, dot, ext = name.rpartition(".")
    if not dot:
        return name, "xml"
    fmt = FORMATS.get(ext.lower())
    if fmt is None or not base:
        raise Open311Refused(400, "open311_format_unknown", format=ext)
    return base, fmt


def format_of_path(path: str) -> Format:
    """The format a response should use, judged from the request path (for error answers)."""
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return "json" if last.lower().endswith(".json") else "xml"


# ---------------------------------------------------------------------- dates
def w3c(moment: datetime, tz: tzinfo) -> str:
    """``2010-01-01T08:00:00+08:00``: W3C/ISO 8601 with the offset, in the city's zone."""
    return moment.astimezone(tz).isoformat(timespec="seconds")


_W3C = re.compile(
    r"^\d{4}-\d{2}-\d{2}"
    r"(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?$"
)


def parse_w3c(raw: str, field: str, tz: tzinfo) -> datetime:
    """A W3C date or date-time. A date means its midnight; a time without an offset is read in
    the city's zone (the spec wants offsets; being lenient here costs nothing)."""
    value = raw.strip()
    if not _W3C.match(value):
        raise Open311Refused(400, "open311_date_invalid", field=field)
    try:
        if "T" not in value:
            return datetime.combine(date.fromisoformat(value), time(), tz)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Open311Refused(400, "open311_date_invalid", field=field) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=tz)


def date_range(
    start_raw: str | None, end_raw: str | None, now: datetime, tz: tzinfo
) -> tuple[datetime, datetime]:
    """The search window: at most 90 days; the most recent 90 days when neither end is given."""
    start = parse_w3c(start_raw, "start_date", tz) if start_raw else None
    end = parse_w3c(end_raw, "end_date", tz) if end_raw else None
    if start is None and end is None:
        end = now
        start = now - MAX_RANGE
    elif start is None:
        assert end is not None
        start = end - MAX_RANGE
    elif end is None:
        end = start + MAX_RANGE
    if end < start or end - start > MAX_RANGE:
        raise Open311Refused(400, "open311_date_range", days=MAX_RANGE.days)
    return start.astimezone(UTC), end.astimezone(UTC)


# --------------------------------------------------------------------- filters
def csv_values(raw: str | None) -> list[str]:
    """``a,b,,c`` → [a, b, c]; None or blank → []."""
    if not raw:
        return []
    return [v.strip() for v in raw.split(",") if v.strip()]


def status_filter(raw: str | None) -> frozenset[str]:
    values = frozenset(v.lower() for v in csv_values(raw))
    if values - {"open", "closed"}:
        raise Open311Refused(400, "open311_status_invalid")
    return values


def page_of(page_raw: str | None, size_raw: str | None) -> tuple[int, int]:
    """``page`` (from 1) and ``page_size`` (1..1000, default 1000): the pagination extension."""
    try:
        page = int(page_raw) if page_raw not in (None, "") else 1
        size = int(size_raw) if size_raw not in (None, "") else DEFAULT_PAGE_SIZE
    except ValueError:
        raise Open311Refused(400, "open311_page_invalid", max=MAX_PAGE_SIZE) from None
    if page < 1 or not 1 <= size <= MAX_PAGE_SIZE:
        raise Open311Refused(400, "open311_page_invalid", max=MAX_PAGE_SIZE)
    return page, size


# ------------------------------------------------------------------------ form
_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]{1,64})\](\[\])?$")


def parse_form(body: bytes) -> tuple[dict[str, str], dict[str, list[str]]]:
    """An ``application/x-www-form-urlencoded`` body: plain fields (the last value wins) and
    the ``attribute[code]`` / ``attribute[code][]`` answers (every value kept)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Open311Refused(400, "open311_form_invalid") from None
    try:
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=False, max_num_fields=200)
    except ValueError:
        raise Open311Refused(400, "open311_form_invalid") from None
    fields: dict[str, str] = {}
    attributes: dict[str, list[str]] = {}
    for key, value in pairs:
        m = _ATTRIBUTE.match(key)
        if m:
            attributes.setdefault(m.group(1), []).append(value)
        else:
            fields[key] = value
    return fields, attributes


def coordinate(raw: str | None, field: str) -> float | None:
    if raw is None or not raw.strip():
        return None
    try:
        value = float(raw)
    except ValueError:
        raise Open311Refused(400, "open311_coordinate_invalid", field=field) from None
    if not math.isfinite(value):
        raise Open311Refused(400, "open311_coordinate_invalid", field=field)
    return value


# ------------------------------------------------------------------ attributes
class AttributeRefused(ValueError):
    def __init__(self, code: str, attribute: str) -> None:
        super().__init__(code)
        self.code = code
        self.attribute = attribute


def check_attributes(
    definitions: Sequence[Mapping[str, Any]], given: Mapping[str, Sequence[str]]
) -> dict[str, str | list[str]]:
    """The answers to a category's questions, checked by datatype.

    Required questions must be answered; list answers must be among the defined keys; numbers
    and datetimes must parse. Answers to questions the category does not ask are dropped:
    clients such as FixMyStreet send their own extra attributes.
    """
    out: dict[str, str | list[str]] = {}
    for d in definitions:
        code = str(d.get("code", ""))
        datatype = str(d.get("datatype", "string"))
        values = [v.strip() for v in given.get(code, []) if v.strip()]
        if not values:
            if d.get("required"):
                raise AttributeRefused("attribute_required", code)
            continue
        if any(len(v) > 1000 for v in values):
            raise AttributeRefused("attribute_invalid", code)
        if datatype == "multivaluelist":
            keys = {str(v.get("key")) for v in d.get("values", [])}
            if not set(values) <= keys:
                raise AttributeRefused("attribute_invalid", code)
            out[code] = sorted(set(values), key=values.index)
            continue
        if len(values) > 1:
            raise AttributeRefused("attribute_invalid", code)
        value = values[0]
        if datatype == "singlevaluelist":
            if value not in {str(v.get("key")) for v in d.get("values", [])}:
                raise AttributeRefused("attribute_invalid", code)
        elif datatype == "number":
            try:
                if not math.isfinite(float(value)):
                    raise ValueError(value)
            except ValueError:
                raise AttributeRefused("attribute_invalid", code) from None
        elif datatype == "datetime":
            try:
                datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                raise AttributeRefused("attribute_invalid", code) from None
        elif datatype == "string" and "\n" in value:
            raise AttributeRefused("attribute_invalid", code)
        out[code] = value
    return out


def service_attributes(definitions: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """A category's questions as the spec's ``attributes`` (order from 1, as stored)."""
    return [
        {
            "variable": True,
            "code": str(d.get("code", "")),
            "datatype": str(d.get("datatype", "string")),
            "required": bool(d.get("required", False)),
            "datatype_description": d.get("datatype_description") or None,
            "order": i,
            "description": str(d.get("description", "")),
            "values": [
                {"key": str(v.get("key", "")), "name": str(v.get("name", ""))}
                for v in d.get("values", [])
            ],
        }
        for i, d in enumerate(definitions, start=1)
    ]


# --------------------------------------------------------------------- render
def render(
    fmt: Format, root: str, payload: Sequence[Mapping[str, Any]] | Mapping[str, Any]
) -> bytes:
    """The same data as the spec's XML (``root`` element, one child per item or field) or as
    its JSON twin (a list stays a list; an object stays an object)."""
    if fmt == "json":
        return msgspec.json.encode(_jsonable(payload))
    element = ET.Element(root)
    if isinstance(payload, Mapping):
        _fill(element, payload)
    else:
        item_name = ITEM_NAMES[root]
        for item in payload:
            _fill(ET.SubElement(element, item_name), item)
    ET.indent(element, space="  ")
    body = ET.tostring(element, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n").encode("utf-8")


def _fill(element: ET.Element, fields: Mapping[str, Any]) -> None:
    for name, value in fields.items():
        child = ET.SubElement(element, name)
        if isinstance(value, Sequence) and not isinstance(value, str | bytes):
            item_name = ITEM_NAMES.get(name, "item")
            for item in value:
                sub = ET.SubElement(child, item_name)
                if isinstance(item, Mapping):
                    _fill(sub, item)
                else:
                    sub.text = _text(item)
        elif isinstance(value, Mapping):
            _fill(child, value)
        else:
            text = _text(value)
            if text:
                child.text = text


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [_jsonable(v) for v in value]
    return value


def error_body(fmt: Format, status: int, description: str) -> bytes:
    """The spec's error answer: a list of ``{code, description}``."""
    return render(fmt, "errors", [{"code": status, "description": description}])
