"""Reading CAP 1.2 alerts published by others (BMKG's nowcasts, for one): a feed is an Atom or
RSS index of alert links, or one alert. Pure parsing, no I/O.

The XML comes from outside, so the parser refuses any DOCTYPE (no DTD, no entities, no network):
a document that declares one is not read at all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM_NS = "http://www.w3.org/2005/Atom"
_CAP = f"{{{CAP_NS}}}"
MAX_DOCUMENT_BYTES = 2 * 1024 * 1024
CIRCLE_POINTS = 32
_EARTH_M = 6_371_000.0


class CapParseError(ValueError):
    """The document is not a CAP alert or feed we can read safely."""


@dataclass(frozen=True)
class CapInfo:
    """The words of one ``<info>``, as sent."""

    category: str
    event: str
    severity: str
    urgency: str
    certainty: str
    headline: str
    description: str
    instruction: str
    language: str


@dataclass(frozen=True, slots=True)
class IncomingAlert:
    identifier: str
    sender: str
    sent: datetime
    status: str
    msg_type: str
    references: tuple[tuple[str, str], ...]  # (sender, identifier) of earlier messages
    info: CapInfo
    expires: datetime | None
    rings: tuple[tuple[tuple[float, float], ...], ...]  # closed (lon, lat) rings

    def area_wkt(self) -> str | None:
        if not self.rings:
            return None
        parts = ", ".join(
            "((" + ", ".join(f"{lon:.6f} {lat:.6f}" for lon, lat in ring) + "))"
            for ring in self.rings
        )
        return f"SRID=4326;MULTIPOLYGON({parts})"


def _root(data: bytes) -> etree._Element:
    if len(data) > MAX_DOCUMENT_BYTES:
        raise CapParseError("too large")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
        huge_tree=False, remove_comments=True,
    )  # fmt: skip
    try:
        tree = etree.ElementTree(etree.fromstring(data, parser))
    except etree.XMLSyntaxError as exc:
        raise CapParseError("not XML") from exc
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise CapParseError("DOCTYPE refused")
    return tree.getroot()


def feed_links(data: bytes) -> list[str] | None:
    """The alert links of an Atom or RSS index, or ``None`` when the document is one alert."""
    root = _root(data)
    if root.tag == f"{_CAP}alert":
        return None
    links: list[str] = []
    if root.tag == f"{{{ATOM_NS}}}feed":
        for entry in root.iter(f"{{{ATOM_NS}}}entry"):
            for link in entry.iter(f"{{{ATOM_NS}}}link"):
                href = link.get("href")
                if href and link.get("rel", "alternate") in ("alternate", "related"):
                    links.append(href.strip())
                    break
        return links
    if root.tag == "rss":
        for item in root.iter("item"):
            link = item.findtext("link")
            if link:
                links.append(link.strip())
        return links
    raise CapParseError("not a CAP alert, Atom or RSS document")


def _text(el: etree._Element, name: str, limit: int = 2000) -> str:
    return (el.findtext(f"{_CAP}{name}") or "").strip()[:limit]


def _time(value: str) -> datetime:
    try:
        at = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise CapParseError("bad date-time") from exc
    if at.tzinfo is None:
        raise CapParseError("date-time without offset")
    return at


def _point(pair: str) -> tuple[float, float]:
    lat_s, lon_s = pair.split(",")
    lat, lon = float(lat_s), float(lon_s)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or math.isnan(lat + lon):
        raise ValueError("out of range")
    return lon, lat


def polygon_ring(text: str) -> tuple[tuple[float, float], ...]:
    """A CAP polygon (``lat,lon lat,lon ...``, closed, at least four pairs) as (lon, lat)."""
    try:
        ring = tuple(_point(p) for p in text.split())
    except ValueError as exc:
        raise CapParseError("bad polygon") from exc
    if len(ring) < 4 or ring[0] != ring[-1]:
        raise CapParseError("polygon not closed")
    return ring


def circle_ring(text: str) -> tuple[tuple[float, float], ...]:
    """A CAP circle (``lat,lon radius_km``) as a closed ring of ``CIRCLE_POINTS`` points."""
    try:
        centre, radius_s = text.split()
        lon, lat = _point(centre)
        radius = float(radius_s) * 1000
    except ValueError as exc:
        raise CapParseError("bad circle") from exc
    if not 0 < radius <= 2_000_000:
        raise CapParseError("bad circle radius")
    d_lat = math.degrees(radius / _EARTH_M)
    d_lon = d_lat / max(math.cos(math.radians(lat)), 0.01)
    ring = [
        (
            lon + d_lon * math.cos(2 * math.pi * k / CIRCLE_POINTS),
            lat + d_lat * math.sin(2 * math.pi * k / CIRCLE_POINTS),
        )
        for k in range(CIRCLE_POINTS)
    ]
    return (*ring, ring[0])


def _references(text: str) -> tuple[tuple[str, str], ...]:
    out = []
    for ref in text.split():
        parts = ref.split(",")
        if len(parts) >= 2:
            out.append((parts[0], parts[1]))
    return tuple(out)


def parse_alert(data: bytes, prefer_language: str = "id") -> IncomingAlert:
    """One CAP 1.2 alert; its first ``<info>`` in ``prefer_language`` (else the first one)."""
    root = _root(data)
    if root.tag != f"{_CAP}alert":
        raise CapParseError("not a CAP 1.2 alert")
    identifier, sender = _text(root, "identifier", 200), _text(root, "sender", 200)
    sent, msg_type = _text(root, "sent"), _text(root, "msgType")
    if not identifier or not sender or not sent or not msg_type:
        raise CapParseError("identifier, sender, sent and msgType are required")
    infos = root.findall(f"{_CAP}info")
    info = next(
        (i for i in infos if _text(i, "language").lower().startswith(prefer_language)),
        infos[0] if infos else None,
    )
    rings: list[tuple[tuple[float, float], ...]] = []
    if info is not None:
        for area in info.findall(f"{_CAP}area"):
            rings += [polygon_ring(p.text or "") for p in area.findall(f"{_CAP}polygon")]
            rings += [circle_ring(c.text or "") for c in area.findall(f"{_CAP}circle")]
    get = (lambda name, limit=2000: _text(info, name, limit)) if info is not None else None
    expires = get("expires") if get else ""
    return IncomingAlert(
        identifier=identifier,
        sender=sender,
        sent=_time(sent),
        status=_text(root, "status", 20),
        msg_type=msg_type[:20],
        references=_references(_text(root, "references", 10_000)),
        info=CapInfo(
            category=get("category", 20) if get else "",
            event=get("event", 160) if get else "",
            severity=get("severity", 20) if get else "",
            urgency=get("urgency", 20) if get else "",
            certainty=get("certainty", 20) if get else "",
            headline=get("headline", 160) if get else "",
            description=get("description") if get else "",
            instruction=get("instruction") if get else "",
            language=(get("language", 20) if get else "") or "en-US",
        ),
        expires=_time(expires) if expires else None,
        rings=tuple(rings),
    )
