"""What the public may see of a case: the one rule every public surface goes through.

Pure rules, no I/O. The public surfaces are Open311 (lists, by id, updates, JSON and XML), the
citizen's ``/api/public/similar``, following, the tracking page and its photos, and any
published figure. Who sees what (see ``docs/security.md``, "Who may see what"):

- A **sensitive** case (its category is sensitive, or an operator marked it) appears on no
  public surface, cannot be followed and has no public photo. Its own reporter still tracks it
  with their code + PIN and sees the status words and times only.
- For **every** case, the public never reads what staff typed (address, landmark, the
  call-taker's description) nor staff-chosen coordinates at full precision (rounded to about
  100 m), nor the team's photos unless staff published one.
- A **follower** (someone who joined an existing case) gets status updates only: no address,
  no photos, no dispute, no rating.
- A figure published to the public never shows a count below :data:`SMALL_COUNT_THRESHOLD`.

The contact redaction of citizen text is here too: it runs once at intake, in linear time, and
its result is stored (``cases.public_description``), so no public read scans user text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from api.domain.vocabulary import CITIZEN_CHANNELS

# On the citizen channels (web, Open311) the citizen typed the text and chose the point
# themselves, knowing it is published. Everywhere else (phone, walk-in, social, app) a
# call-taker typed them.
# Staff-chosen coordinates are published with 3 decimals: about 110 m north-south.
STAFF_DECIMALS = 3
CITIZEN_DECIMALS = 5
# Counts below this are never published (a figure of 1 or 2 points at a person).
SMALL_COUNT_THRESHOLD = 5
REDACTED = "[…]"


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """What the rule needs to know of a case (read from the database by the caller)."""

    channel: str
    sensitive: bool  # marked by an operator (or its category was sensitive at intake)
    category_sensitive: bool  # the category is sensitive now
    address: str
    public_description: str | None  # stored at intake, contacts already redacted
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class PublicCase:
    """The fields of a case the public may read."""

    address: str
    description: str | None
    lat: float
    lon: float


def is_sensitive(facts: CaseFacts) -> bool:
    return facts.sensitive or facts.category_sensitive


def staff_typed(channel: str) -> bool:
    """Whether a call-taker (not the citizen) typed the text and chose the point."""
    return channel not in CITIZEN_CHANNELS


def public_case(facts: CaseFacts) -> PublicCase | None:
    """The public fields of a case, or ``None`` when the public may not see it at all."""
    if is_sensitive(facts):
        return None
    if staff_typed(facts.channel):
        return PublicCase(
            address="",
            description=None,
            lat=round(facts.lat, STAFF_DECIMALS),
            lon=round(facts.lon, STAFF_DECIMALS),
        )
    return PublicCase(
        address=facts.address,
        description=facts.public_description,
        lat=round(facts.lat, CITIZEN_DECIMALS),
        lon=round(facts.lon, CITIZEN_DECIMALS),
    )


def may_follow(facts: CaseFacts) -> bool:
    """A stranger may join only a case the public may see."""
    return not is_sensitive(facts)


def photo_is_public(source: str, public: bool, published: bool) -> bool:
    """A citizen's own photo is public unless hidden; a staff photo only once published."""
    if source == "citizen":
        return public
    return public and published


@dataclass(frozen=True, slots=True)
class TrackerView:
    """How much of a case its tracker sees on the tracking page."""

    details: bool  # address, description, point, photos
    can_rate: bool
    can_dispute: bool


def tracker_view(
    *,
    sensitive: bool,
    follower: bool,
    finished: bool,
    rated: bool,
    dispute_open: bool,
) -> TrackerView:
    """A sensitive case's reporter and any follower see status words and times only; only an
    original reporter rates (once) and disputes (see :func:`may_dispute`)."""
    return TrackerView(
        details=not sensitive and not follower,
        can_rate=finished and not follower and not rated,
        can_dispute=dispute_open and not follower,
    )


def may_dispute(
    *,
    follower: bool,
    finished: bool,
    resolved_at: datetime | None,
    already_disputed: bool,
    window: timedelta,
    now: datetime,
) -> str | None:
    """``None`` when this tracker may dispute the resolution now, else the refusal's code.

    Only an original reporter (never a follower), once, within ``window`` of the resolution.
    """
    if follower:
        return "dispute_followers_cannot"
    if not finished:
        return "dispute_not_allowed"
    if already_disputed:
        return "dispute_already_made"
    if resolved_at is not None and now > resolved_at + window:
        return "dispute_window_closed"
    return None


def public_count(n: int) -> int | None:
    """A count fit to publish, or ``None`` ("fewer than the threshold")."""
    return n if n >= SMALL_COUNT_THRESHOLD else None


# ------------------------------------------------------------ redaction
_EMAIL_LOCAL_EXTRA = frozenset(".+-")
_PHONE_SEPARATORS = frozenset(" \t\n\r\f\v-.()")
_PHONE_MIN_DIGITS = 8


def _word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _email_spans(text: str) -> list[tuple[int, int]]:
    """Spans of ``local@domain.tld``: each ``@`` grows left over local characters (never past
    the previous ``@`` or span) and right over domain characters. Every character is visited a
    bounded number of times, so the scan is linear in the text."""
    spans: list[tuple[int, int]] = []
    floor = 0  # nothing left of this belongs to a new span
    n = len(text)
    i = text.find("@")
    while i != -1:
        start = i
        while start > floor and (_word(text[start - 1]) or text[start - 1] in _EMAIL_LOCAL_EXTRA):
            start -= 1
        end = i + 1
        while end < n and (_word(text[end]) or text[end] in "-."):
            end += 1
        # The domain: labels of [\w-]+ separated by single dots, at least two of them.
        last_good = -1  # the end of its last complete ".label"
        pos = i + 1
        for count, part in enumerate(text[i + 1 : end].split(".")):
            if not part:
                break
            pos += len(part)
            if count >= 1:
                last_good = pos
            pos += 1
        if start < i and last_good != -1:
            spans.append((start, last_good))
            floor = last_good
        else:
            floor = max(floor, i + 1)
        i = text.find("@", max(i + 1, floor))
    return spans


def _phone_spans(text: str) -> list[tuple[int, int]]:
    """Spans of eight digits or more, separated only by spaces, dashes, dots or brackets,
    with an optional leading ``+``. One pass: a run that is too short is skipped whole (any
    later start inside it has fewer digits still)."""
    spans: list[tuple[int, int]] = []
    n = len(text)
    i = 0
    while i < n:
        if not text[i].isdecimal():
            i += 1
            continue
        start = i - 1 if i > 0 and text[i - 1] == "+" else i
        digits = 0
        last = i
        j = i
        while j < n:
            if text[j].isdecimal():
                digits += 1
                last = j + 1
                j += 1
            elif text[j] in _PHONE_SEPARATORS:
                j += 1
            else:
                break
        if digits >= _PHONE_MIN_DIGITS:
            spans.append((start, last))
        i = max(last, i + 1)
    return spans


def _replace(text: str, spans: list[tuple[int, int]]) -> str:
    out: list[str] = []
    at = 0
    for start, end in spans:
        out.append(text[at:start])
        out.append(REDACTED)
        at = end
    out.append(text[at:])
    return "".join(out)


def redact_contacts(text: str) -> str:
    """E-mail addresses, then phone numbers (8 digits or more), replaced by ``[…]``: a citizen
    who writes "call me on 0812..." into a public description does not publish their number.
    Linear time in the length of the text (no backtracking)."""
    redacted = _replace(text, _email_spans(text))
    return _replace(redacted, _phone_spans(redacted))


def public_description(channel: str, description: str) -> str | None:
    """The text stored for the public at intake: a citizen's description with contacts
    redacted, or ``None`` for a call-taker's working notes."""
    if staff_typed(channel):
        return None
    return redact_contacts(description)
