"""SQLAlchemy models, one module per aggregate. Times are ``timestamptz`` in UTC; locations are
WGS84 geography points.

Import models from here (``from api.db.models import Case``): every model and association table
is re-exported, and importing this package registers all of them on :data:`Base.metadata`, which
Alembic compares with the migrations.
"""

from api.db.models.access import AuthSession, EventTicket, LoginFailure, Open311Key, SecurityAlert
from api.db.models.base import NAMING, Base
from api.db.models.call_clock import StatsCallClockHour
from api.db.models.caller_locations import CallerLocation
from api.db.models.calls import Call
from api.db.models.cap_incoming import IncomingCapAlert
from api.db.models.cases import Case, CaseEvent, CaseRating, CaseReporter
from api.db.models.catalogue import Area, Category, Place, RoutingRule, category_supporting_agencies
from api.db.models.conversations import ConversationMessage
from api.db.models.media import Photo
from api.db.models.neighbours import CaseHandoff, NeighbourArea
from api.db.models.people import Agency, Team, TeamPosition, User, team_members
from api.db.models.push import Notification, PushSubscription
from api.db.models.sms import SmsMessage
from api.db.models.stats import StatsCallHour, StatsCase, stats_case_days, stats_settings
from api.db.models.system import (
    AdminAudit,
    IdempotentRequest,
    RateLimitHit,
    WorkerHeartbeat,
)
from api.db.models.warnings import AreaWarning

__all__ = [
    "NAMING",
    "AdminAudit",
    "Agency",
    "Area",
    "AreaWarning",
    "AuthSession",
    "Base",
    "Call",
    "CallerLocation",
    "Case",
    "CaseEvent",
    "CaseHandoff",
    "CaseRating",
    "CaseReporter",
    "Category",
    "ConversationMessage",
    "EventTicket",
    "IdempotentRequest",
    "IncomingCapAlert",
    "LoginFailure",
    "NeighbourArea",
    "Notification",
    "Open311Key",
    "Photo",
    "Place",
    "PushSubscription",
    "RateLimitHit",
    "RoutingRule",
    "SecurityAlert",
    "SmsMessage",
    "StatsCallClockHour",
    "StatsCallHour",
    "StatsCase",
    "Team",
    "TeamPosition",
    "User",
    "WorkerHeartbeat",
    "category_supporting_agencies",
    "stats_case_days",
    "stats_settings",
    "team_members",
]
