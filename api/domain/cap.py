"""Published warnings as OASIS CAP 1.2 messages, and the Atom index that lists them.

One ``<alert>`` per warning, with one ``<info>`` per language (Indonesian first). An update or a
cancellation carries ``msgType`` ``Update``/``Cancel`` and ``references`` naming every earlier
message of its chain (``sender,identifier,sent``, space-separated, as CAP 1.2 §3.2.1 says).
Pure formatting, no I/O: the caller passes the facts, including the area as GeoJSON.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM_NS = "http://www.w3.org/2005/Atom"
CAP_MIME = "application/cap+xml"
_LANG_TAGS = {"id": "id-ID", "en": "en-US"}


def cap_time(at: datetime) -> str:
    """CAP's date-time: seconds, a numeric offset, and UTC written ``-00:00`` (never ``Z``)."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S") + "-00:00"


def identifier(sender: str, warning_id: int) -> str:
    """A message id unique to this sender; CAP forbids spaces, commas, ``<`` and ``&``."""
    return f"{sender}.warning.{warning_id}"


def reference(sender: str, ident: str, sent: datetime) -> str:
    return f"{sender},{ident},{cap_time(sent)}"


def polygons(geojson: dict[str, Any]) -> list[str]:
    """The exterior rings of a (Multi)Polygon as CAP polygons: ``lat,lon`` pairs, closed."""
    shapes = (
        geojson["coordinates"] if geojson["type"] == "MultiPolygon" else [geojson["coordinates"]]
    )
    out = []
    for shape in shapes:
        ring = list(shape[0])
        if ring[0] != ring[-1]:
            ring.append(ring[0])
        out.append(" ".join(f"{lat:.6f},{lon:.6f}" for lon, lat in ring))
    return out


@dataclass(frozen=True, slots=True)
class Alert:
    """The facts of one published warning, as CAP needs them."""

    sender: str
    sender_name: str
    identifier: str
    sent: datetime
    msg_type: str
    references: str  # "" for a first alert
    category: str
    event: dict[str, str]
    urgency: str
    severity: str
    certainty: str
    expires: datetime
    headline: dict[str, str]
    instruction: dict[str, str]
    area_desc: str
    area: dict[str, Any]  # GeoJSON (Multi)Polygon
    web: str = ""  # the warning's public page, when the public address is known


def _sub(parent: ET.Element, tag: str, text: str) -> ET.Element:
    el = ET.SubElement(parent, f"{{{CAP_NS}}}{tag}")
    el.text = text
    return el


def alert_xml(a: Alert) -> bytes:
    """The CAP 1.2 document of one warning (UTF-8, with an XML declaration)."""
    root = ET.Element(f"{{{CAP_NS}}}alert")
    _sub(root, "identifier", a.identifier)
    _sub(root, "sender", a.sender)
    _sub(root, "sent", cap_time(a.sent))
    _sub(root, "status", "Actual")
    _sub(root, "msgType", a.msg_type)
    _sub(root, "scope", "Public")
    if a.references:
        _sub(root, "references", a.references)
    for lang, tag in _LANG_TAGS.items():
        info = ET.SubElement(root, f"{{{CAP_NS}}}info")
        _sub(info, "language", tag)
        _sub(info, "category", a.category)
        _sub(info, "event", a.event[lang])
        _sub(info, "urgency", a.urgency)
        _sub(info, "severity", a.severity)
        _sub(info, "certainty", a.certainty)
        _sub(info, "expires", cap_time(a.expires))
        _sub(info, "senderName", a.sender_name)
        _sub(info, "headline", a.headline[lang])
        _sub(info, "instruction", a.instruction[lang])
        if a.web:
            _sub(info, "web", a.web)
        area = ET.SubElement(info, f"{{{CAP_NS}}}area")
        _sub(area, "areaDesc", a.area_desc)
        for ring in polygons(a.area):
            _sub(area, "polygon", ring)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True, default_namespace=CAP_NS)


@dataclass(frozen=True, slots=True)
class Entry:
    identifier: str
    title: str
    updated: datetime
    url: str  # where the CAP document is


def atom_index(feed_id: str, title: str, author: str, url: str, entries: list[Entry]) -> bytes:
    """An Atom feed listing CAP documents (newest first), each linked as ``application/cap+xml``."""
    # Plain names under an ``xmlns`` attribute: ElementTree cannot write a default namespace
    # with the unqualified attributes (rel, href) Atom uses.
    feed = ET.Element("feed", xmlns=ATOM_NS)
    ET.SubElement(feed, "id").text = feed_id
    ET.SubElement(feed, "title").text = title
    newest = max((e.updated for e in entries), default=datetime(2026, 1, 1, tzinfo=UTC))
    ET.SubElement(feed, "updated").text = newest.astimezone(UTC).isoformat()
    ET.SubElement(ET.SubElement(feed, "author"), "name").text = author
    ET.SubElement(feed, "link", rel="self", href=url)
    for e in entries:
        entry = ET.SubElement(feed, "entry")
        ET.SubElement(entry, "id").text = f"urn:cap:{e.identifier}"
        ET.SubElement(entry, "title").text = e.title
        ET.SubElement(entry, "updated").text = e.updated.astimezone(UTC).isoformat()
        ET.SubElement(entry, "link", rel="alternate", type=CAP_MIME, href=e.url)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
