"""SQLAlchemy models. Times are ``timestamptz`` in UTC; locations are WGS84 geography points."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from geoalchemy2 import Geography
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from api.domain.vocabulary import CALL_CLASSES, CHANNELS, STATUSES

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _now() -> Any:
    return func.now()


class Agency(Base):
    """A city agency (OPD) or partner body that receives cases."""

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_id: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default="opd")
    notes: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_now())

    __table_args__ = (CheckConstraint("kind IN ('opd', 'partner')", name="kind"),)


category_supporting_agencies = Table(
    "category_supporting_agencies",
    Base.metadata,
    Column("category_id", ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True),
    Column("agency_id", ForeignKey("agencies.id", ondelete="RESTRICT"), primary_key=True),
)


class Category(Base):
    """A complaint type: who handles it, how urgent, how fast (SLA), what proof it needs."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    code: Mapped[str] = mapped_column(String(48), unique=True)
    name_id: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    group: Mapped[str] = mapped_column(String(32))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="RESTRICT"))
    priority: Mapped[str] = mapped_column(String(2))
    dedupe_radius_m: Mapped[int] = mapped_column(Integer, default=100)
    sla_accept_min: Mapped[int] = mapped_column(Integer)
    sla_arrive_min: Mapped[int] = mapped_column(Integer)
    sla_resolve_min: Mapped[int] = mapped_column(Integer)
    photo_required: Mapped[bool] = mapped_column(Boolean, default=False)
    # Open311 attributes: extra questions asked when reporting.
    attributes: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # About a person rather than a place: its cases appear on no public surface.
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    agency: Mapped[Agency] = relationship(lazy="raise")
    supporting_agencies: Mapped[list[Agency]] = relationship(
        secondary=category_supporting_agencies, lazy="raise"
    )

    __table_args__ = (
        CheckConstraint("priority IN ('P1', 'P2', 'P3')", name="priority"),
        CheckConstraint("dedupe_radius_m >= 0 AND dedupe_radius_m <= 10000", name="radius"),
        CheckConstraint(
            "sla_accept_min > 0 AND sla_arrive_min >= sla_accept_min "
            "AND sla_resolve_min >= sla_arrive_min",
            name="sla_order",
        ),
    )


class Area(Base):
    """A kecamatan (district): a centre point and, when imported, its boundary polygon."""

    __tablename__ = "areas"

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(16), default="kecamatan")
    center: Mapped[Any] = mapped_column(Geography("POINT", srid=4326, spatial_index=False))
    boundary: Mapped[Any | None] = mapped_column(
        Geography("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=True
    )

    __table_args__ = (
        Index("ix_areas_boundary", "boundary", postgresql_using="gist"),
        Index("ix_areas_center", "center", postgresql_using="gist"),
    )


class Place(Base):
    """A gazetteer entry: a named point an operator can pick when no base map is visible.

    Seeded with the kecamatan centres; admins add kelurahan and landmarks. Places are retired
    (``active = false``), never deleted, so a case placed from one can still be explained.
    """

    __tablename__ = "places"

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    point: Mapped[Any] = mapped_column(Geography("POINT", srid=4326, spatial_index=False))
    area_id: Mapped[int | None] = mapped_column(
        ForeignKey("areas.id", ondelete="SET NULL"), nullable=True
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        CheckConstraint("kind IN ('kecamatan', 'kelurahan', 'landmark')", name="kind"),
        UniqueConstraint("name", "kind", name="uq_places_name_kind"),
        Index("ix_places_point", "point", postgresql_using="gist"),
        # pg_trgm folds case itself, so this serves ILIKE '%..%' and similarity() alike.
        Index(
            "ix_places_name_trgm",
            "name",
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
        ),
    )


team_members = Table(
    "team_members",
    Base.metadata,
    Column("team_id", ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_team_members_user_id", "user_id"),
)


class User(Base):
    """A person who signs in. Coordinators and field officers belong to exactly one agency."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    role: Mapped[str] = mapped_column(String(16))
    agency_id: Mapped[int | None] = mapped_column(
        ForeignKey("agencies.id", ondelete="RESTRICT"), nullable=True
    )
    password_hash: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(2), default="id")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_now())

    agency: Mapped[Agency | None] = relationship(lazy="raise")
    teams: Mapped[list[Team]] = relationship(
        secondary=team_members, back_populates="members", lazy="raise"
    )

    __table_args__ = (
        CheckConstraint(
            "role IN ('admin', 'supervisor', 'operator', 'dispatcher', 'coordinator', "
            "'field_officer')",
            name="role",
        ),
        CheckConstraint(
            "role NOT IN ('coordinator', 'field_officer') OR agency_id IS NOT NULL",
            name="agency_member",
        ),
        CheckConstraint("language IN ('id', 'en')", name="language"),
    )


class Team(Base):
    """A rapid-response unit of one agency."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(100))
    on_duty: Mapped[bool] = mapped_column(Boolean, default=False)
    # Last known position, from the members' pings (history in team_positions).
    last_position: Mapped[Any | None] = mapped_column(
        Geography("POINT", srid=4326, spatial_index=False), nullable=True
    )
    last_position_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    last_accuracy_m: Mapped[float | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_now())

    agency: Mapped[Agency] = relationship(lazy="raise")
    members: Mapped[list[User]] = relationship(
        secondary=team_members, back_populates="teams", lazy="raise"
    )

    __table_args__ = (
        UniqueConstraint("agency_id", "name", name="uq_teams_agency_name"),
        Index("ix_teams_last_position", "last_position", postgresql_using="gist"),
    )


class AuthSession(Base):
    """One signed-in device. The refresh token rotates; revoking the row ends its access tokens."""

    __tablename__ = "auth_sessions"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    refresh_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The hash before the last rotation: presenting it again means the token was stolen.
    previous_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_now())
    rotated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    user_agent: Mapped[str] = mapped_column(String(300), default="")


class EventTicket(Base):
    """A short-lived, single-use ticket that opens the live-event stream (``EventSource`` cannot
    send a header, and an access token must never sit in a URL). Only its SHA-256 is kept."""

    __tablename__ = "event_tickets"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("auth_sessions.id", ondelete="CASCADE"), index=True
    )
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class LoginFailure(Base):
    """A failed sign-in, keyed by account and by client address, for rate limiting.

    Two rows per failure: the account's (``user:<name>``, with the hashed address in
    ``address``, so both "this account from this address" and "this account from anywhere" are
    counted) and the address's (``ip:<hash>``). Addresses are hashed: no personal data.
    """

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(64), nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_now())

    __table_args__ = (Index("ix_login_failures_key_at", "key", "at"),)


class SecurityAlert(Base):
    """Something admins should look at, e.g. many wrong passwords for one account from many
    addresses (the account is not locked; the admins are told). Listed by the admin API."""

    __tablename__ = "security_alerts"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True
    )
    failures: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("kind IN ('login_failures')", name="kind"),
        Index("ix_security_alerts_at", "at"),
        Index("ix_security_alerts_user_id", "user_id"),
    )


class RoutingRule(Base):
    """An area rule: in this kecamatan, this category (or every category) goes to another agency
    and/or is suggested to a particular team first."""

    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"))
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="CASCADE"), nullable=True
    )
    agency_id: Mapped[int | None] = mapped_column(
        ForeignKey("agencies.id", ondelete="CASCADE"), nullable=True
    )
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), nullable=True
    )
    note: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        CheckConstraint("agency_id IS NOT NULL OR team_id IS NOT NULL", name="does_something"),
        Index("ix_routing_rules_area_id", "area_id"),
    )


# ---------------------------------------------------------------- control room


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class Call(Base):
    """One inbound contact: phone, walk-in, social media or app."""

    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    number: Mapped[str | None] = mapped_column(String(20), nullable=True)  # E.164
    channel: Mapped[str] = mapped_column(String(16), default="phone")
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    duration_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    call_class: Mapped[str | None] = mapped_column("class", String(16), nullable=True)
    operator_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    notes: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[Any | None] = mapped_column(
        Geography("POINT", srid=4326, spatial_index=False), nullable=True
    )
    location_source: Mapped[str | None] = mapped_column(String(16), nullable=True)
    location_accuracy_m: Mapped[float | None] = mapped_column(nullable=True)
    pbx_call_id: Mapped[str | None] = mapped_column(String(100), unique=True, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_now())

    __table_args__ = (
        CheckConstraint(_in("channel", CHANNELS), name="channel"),
        CheckConstraint(f"class IS NULL OR {_in('class', CALL_CLASSES)}", name="class"),
        CheckConstraint("duration_s IS NULL OR duration_s >= 0", name="duration"),
        Index("ix_calls_number_started_at", "number", "started_at"),
        Index("ix_calls_started_at", "started_at"),
    )


class Case(Base):
    """A ticket: something that happened at a place, routed to an agency and worked by a team."""

    __tablename__ = "cases"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    reference: Mapped[str] = mapped_column(String(24), unique=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="RESTRICT"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="RESTRICT"))
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), nullable=True
    )
    priority: Mapped[str] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(16), default="new")
    location: Mapped[Any] = mapped_column(Geography("POINT", srid=4326, spatial_index=False))
    address: Mapped[str] = mapped_column(Text, default="")
    landmark: Mapped[str] = mapped_column(Text, default="")
    area_id: Mapped[int | None] = mapped_column(
        ForeignKey("areas.id", ondelete="SET NULL"), nullable=True
    )
    description: Mapped[str] = mapped_column(Text)
    # What the public may read of the description, stored at intake (contacts redacted);
    # NULL for a call-taker's working notes. See api/domain/disclosure.py.
    public_description: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Marked by an operator, or its category was sensitive at intake: never public.
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    channel: Mapped[str] = mapped_column(String(16), default="phone")
    call_id: Mapped[int | None] = mapped_column(
        ForeignKey("calls.id", ondelete="SET NULL"), nullable=True
    )
    duplicate_of_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("cases.id", ondelete="SET NULL"), nullable=True
    )
    out_of_area: Mapped[bool] = mapped_column(Boolean, default=False)
    # SLA deadlines, computed from the category when the case is created.
    accept_by: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    arrive_by: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolve_by: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    dispatched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    arrived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # SLA stages already escalated ("accept", "arrive", "resolve"): escalation happens once.
    escalated_stages: Mapped[list[str]] = mapped_column(ARRAY(String(8)), default=list)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint("priority IN ('P1', 'P2', 'P3')", name="priority"),
        CheckConstraint(_in("channel", CHANNELS), name="channel"),
        CheckConstraint("duplicate_of_id IS NULL OR duplicate_of_id <> id", name="not_self_dup"),
        Index("ix_cases_location", "location", postgresql_using="gist"),
        Index("ix_cases_status_created_at", "status", "created_at"),
        Index("ix_cases_agency_id_status", "agency_id", "status"),
        Index("ix_cases_team_id_status", "team_id", "status"),
        Index("ix_cases_category_id_created_at", "category_id", "created_at"),
        Index("ix_cases_created_at", "created_at"),
        Index("ix_cases_duplicate_of_id", "duplicate_of_id"),
        Index("ix_cases_call_id", "call_id"),
        Index(
            "ix_cases_description_trgm",
            "description",
            postgresql_using="gin",
            postgresql_ops={"description": "gin_trgm_ops"},
        ),
    )


class CaseEvent(Base):
    """Append-only timeline: the audit log and the source of every response-time figure.

    A database trigger refuses UPDATE and DELETE on this table.
    """

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    from_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    # "user", "citizen", "system", "pbx", "open311": who acted when there is no user.
    actor_kind: Mapped[str] = mapped_column(String(12), default="user")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    location: Mapped[Any | None] = mapped_column(
        Geography("POINT", srid=4326, spatial_index=False), nullable=True
    )
    accuracy_m: Mapped[float | None] = mapped_column(nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    # Shown on the citizen's tracking page (never with the note or the actor's name).
    public: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (
        Index("ix_case_events_case_id_id", "case_id", "id"),
        Index("ix_case_events_at", "at"),
        Index("ix_case_events_kind_at", "kind", "at"),
    )


class CaseReporter(Base):
    """Who reported a case. Private: never on public pages. Follows the case when merged."""

    __tablename__ = "case_reporters"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    original_case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    call_id: Mapped[int | None] = mapped_column(
        ForeignKey("calls.id", ondelete="SET NULL"), nullable=True
    )
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    channel: Mapped[str] = mapped_column(String(16), default="phone")
    # SHA-256 of the citizen's secret tracking token; the token itself is never stored.
    tracking_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    language: Mapped[str] = mapped_column(String(2), default="id")
    # Joined an existing case (follow): status updates only, no dispute, no rating.
    follower: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_case_reporters_case_id", "case_id"),
        Index("ix_case_reporters_phone", "phone"),
    )


class CaseRating(Base):
    """A citizen's rating of a resolved case (1-5, optional comment)."""

    __tablename__ = "case_ratings"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    reporter_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_reporters.id", ondelete="SET NULL"), nullable=True
    )
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("score BETWEEN 1 AND 5", name="score"),
        UniqueConstraint("case_id", "reporter_id", name="uq_case_ratings_case_reporter"),
    )


class TeamPosition(Base):
    """A position ping from an on-duty team member (bounded history; see retention)."""

    __tablename__ = "team_positions"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    location: Mapped[Any] = mapped_column(Geography("POINT", srid=4326, spatial_index=False))
    accuracy_m: Mapped[float] = mapped_column()

    __table_args__ = (Index("ix_team_positions_team_id_at", "team_id", "at"),)


class IdempotentRequest(Base):
    """A replayed request with the same ``Idempotency-Key`` gets the stored answer, once applied."""

    __tablename__ = "idempotent_requests"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True
    )
    request_hash: Mapped[str] = mapped_column(String(64))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_now())


# ------------------------------------------------------------------ evidence
class Photo(Base):
    """Photo evidence. The original stays private; display and thumbnail copies have no EXIF."""

    __tablename__ = "photos"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_events.id", ondelete="SET NULL"), nullable=True
    )
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    # "team" (field officer), "control_room" (operator/dispatcher), "citizen"
    source: Mapped[str] = mapped_column(String(16))
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), nullable=True
    )
    caption: Mapped[str] = mapped_column(Text, default="")
    content_type: Mapped[str] = mapped_column(String(32))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    original_key: Mapped[str] = mapped_column(String(200))
    display_key: Mapped[str] = mapped_column(String(200))
    thumb_key: Mapped[str] = mapped_column(String(200))
    # Evidence from the original's EXIF: kept here, never in the public copies.
    taken_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    exif_location: Mapped[Any | None] = mapped_column(
        Geography("POINT", srid=4326, spatial_index=False), nullable=True
    )
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    # A staff photo (team, control room) is public only once staff publish it.
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    deleted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )

    __table_args__ = (
        CheckConstraint("source IN ('team', 'control_room', 'citizen')", name="source"),
        Index("ix_photos_case_id", "case_id"),
        Index(
            "uq_photos_case_id_sha256",
            "case_id",
            "sha256",
            unique=True,
            postgresql_where="deleted_at IS NULL",
        ),
    )


# ---------------------------------------------------------------------- push
class PushSubscription(Base):
    """A browser's Web Push endpoint: a signed-in user's device, or a citizen following a case."""

    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True
    )
    reporter_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_reporters.id", ondelete="CASCADE"), nullable=True
    )
    endpoint: Mapped[str] = mapped_column(Text, unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    language: Mapped[str] = mapped_column(String(2), default="id")
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_now())
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    __table_args__ = (
        CheckConstraint("user_id IS NOT NULL OR reporter_id IS NOT NULL", name="owner"),
        Index("ix_push_subscriptions_user_id", "user_id"),
        Index("ix_push_subscriptions_reporter_id", "reporter_id"),
    )


class Notification(Base):
    """Outbox: one push to one device, written in the transaction of the change that causes it.

    ``event_key`` names the cause (e.g. ``case-event:123``); with the subscription it is unique,
    so nobody is notified twice for the same event.
    """

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    event_key: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(24))
    subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("push_subscriptions.id", ondelete="SET NULL"), nullable=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    case_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), nullable=True
    )
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    urgency: Mapped[str] = mapped_column(String(8), default="normal")
    topic: Mapped[str | None] = mapped_column(String(32), nullable=True)
    ttl_s: Mapped[int] = mapped_column(Integer, default=86400)
    # pending → sent | gone (subscription removed) | failed (gave up after retries)
    status: Mapped[str] = mapped_column(String(8), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sent', 'gone', 'failed')", name="status"),
        CheckConstraint("urgency IN ('very-low', 'low', 'normal', 'high')", name="urgency"),
        UniqueConstraint("event_key", "subscription_id", name="uq_notifications_event_sub"),
        Index(
            "ix_notifications_pending",
            "next_attempt_at",
            postgresql_where="status = 'pending'",
        ),
    )


# ---------------------------------------------------------------- statistics
# Rollups kept exact by triggers in the same transaction as the change (migration 0004); the
# SQL function stats_rebuild() recomputes them from the raw tables. See docs/stats.md.
class StatsCallHour(Base):
    """Calls per UTC hour and class (``unclassified`` when the class is not set yet)."""

    __tablename__ = "stats_call_hours"

    bucket: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    call_class: Mapped[str] = mapped_column("class", String(16), primary_key=True)
    calls: Mapped[int] = mapped_column(Integer)


class StatsCase(Base):
    """One row per case with what the statistics read: filters, deadlines, the first moment of
    each stage on the timeline (``case_events``) and the citizens' ratings."""

    __tablename__ = "stats_cases"

    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    agency_id: Mapped[int] = mapped_column(Integer)
    category_id: Mapped[int] = mapped_column(Integer)
    area_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    priority: Mapped[str] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(16))
    lon: Mapped[float | None] = mapped_column(nullable=True)
    lat: Mapped[float | None] = mapped_column(nullable=True)
    accept_by: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    arrive_by: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolve_by: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # First "created", "dispatched", "accepted", "on_scene" and "resolved" events.
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    dispatched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    arrived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    rating_1: Mapped[int] = mapped_column(Integer, server_default="0")
    rating_2: Mapped[int] = mapped_column(Integer, server_default="0")
    rating_3: Mapped[int] = mapped_column(Integer, server_default="0")
    rating_4: Mapped[int] = mapped_column(Integer, server_default="0")
    rating_5: Mapped[int] = mapped_column(Integer, server_default="0")

    __table_args__ = (
        Index("ix_stats_cases_created_at", "created_at"),
        Index("ix_stats_cases_agency_id_created_at", "agency_id", "created_at"),
        Index("ix_stats_cases_category_id_created_at", "category_id", "created_at"),
        Index("ix_stats_cases_area_id_created_at", "area_id", "created_at"),
    )


# Repeated prank numbers: an index-only scan over the prank calls of a period.
Index(
    "ix_calls_prank_started_at",
    Call.started_at,
    postgresql_include=["number"],
    postgresql_where=Call.call_class == "prank",
)
# "Overdue now" (the case list's rule): an index-only scan over the open cases.
Index(
    "ix_cases_open_deadlines",
    Case.agency_id,
    postgresql_include=[
        "category_id",
        "area_id",
        "priority",
        "accept_by",
        "arrive_by",
        "resolve_by",
        "accepted_at",
        "arrived_at",
        "resolved_at",
    ],
    postgresql_where=Case.status.in_(
        ["new", "dispatched", "accepted", "en_route", "on_scene", "returned", "reopened"]
    ),
)


# ------------------------------------------------------------ citizens, Open311
class Open311Key(Base):
    """An API key for an Open311 client (a city portal, FixMyStreet). Only its SHA-256 is kept;
    the key itself is shown once, when an admin issues it."""

    __tablename__ = "open311_keys"

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters of the key, so an admin can tell keys apart in a list.
    key_prefix: Mapped[str] = mapped_column(String(12))
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class RateLimitHit(Base):
    """One counted action (a public report, a failed PIN, an Open311 request) for rate limits.

    ``key`` names what is counted and for whom, hashed (``report-ip:<sha256>``): no personal
    data. Rows older than every window are purged as new ones arrive.
    """

    __tablename__ = "rate_limit_hits"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_rate_limit_hits_key_at", "key", "at"),
        Index("ix_rate_limit_hits_at", "at"),
    )


class WorkerHeartbeat(Base):
    """One row per running worker (``tanggap worker`` or the one inside ``tanggap dev``).

    The worker writes ``beat_at`` every few seconds while its job queue connection works, and
    ``sla_scan_at`` after each SLA escalation scan; readiness reads them (api/db/health.py). A
    stopped worker deletes its row; a killed one's row goes stale and is purged after a day.
    """

    __tablename__ = "worker_heartbeats"

    worker: Mapped[str] = mapped_column(String(120), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    beat_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sla_scan_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
