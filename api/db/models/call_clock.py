"""The call-answer clock's rollup, kept exact by triggers on ``calls`` in the same transaction as
the change (migration 0015); the SQL function ``call_clock_rebuild()`` recomputes it from the
raw table. See docs/call-clock.md.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from api.db.models.base import Base


class StatsCallClockHour(Base):
    """The PBX calls that began ringing in one UTC hour and were taken by one operator
    (``operator_id`` 0: nobody, e.g. abandoned), once answered or ended: counts, and sums of
    milliseconds (exact integers, so the averages are exact)."""

    __tablename__ = "stats_call_clock_hours"

    bucket: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), primary_key=True)
    operator_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    offered: Mapped[int] = mapped_column(sa.Integer)  # answered + abandoned
    answered: Mapped[int] = mapped_column(sa.Integer)
    within_15: Mapped[int] = mapped_column(sa.Integer)  # answered at most 15 s after ringing
    within_20: Mapped[int] = mapped_column(sa.Integer)
    abandoned: Mapped[int] = mapped_column(sa.Integer)  # ended without an answer
    transferred: Mapped[int] = mapped_column(sa.Integer)
    queue_ms: Mapped[int] = mapped_column(sa.BigInteger)  # ringing -> answered, answered calls
    talk_n: Mapped[int] = mapped_column(sa.Integer)  # answered and ended
    talk_ms: Mapped[int] = mapped_column(sa.BigInteger)
    wrapup_n: Mapped[int] = mapped_column(sa.Integer)  # answered, ended and wrapped up
    wrapup_ms: Mapped[int] = mapped_column(sa.BigInteger)
