"""Reading a case on behalf of a user: agency scoping in one place.

A case outside the caller's agency is reported as missing (404), never as forbidden, so its
existence does not leak.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.db.cases import get_case
from api.db.models import Case
from api.errors import NotFound


async def visible_case(
    db: AsyncSession, principal: Principal, case_id: uuid.UUID, *, for_update: bool = False
) -> Case:
    case = await get_case(db, case_id, for_update=for_update)
    if case is None or not principal.may_see_agency(case.agency_id):
        raise NotFound("case_not_found")
    return case
