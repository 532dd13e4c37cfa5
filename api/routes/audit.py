"""The admin audit record, read-only: every admin change, newest first. Admin only.

There is no route that changes or deletes an entry, and the table refuses both (a trigger)."""

from __future__ import annotations

from typing import Annotated

from litestar import get
from litestar.params import FromQuery, QueryParameter

from api.domain.audit import AuditEntity
from api.routes.admin import AdminController
from api.routes.deps import Db
from api.services import audit
from api.services.audit import AuditPage


class AuditController(AdminController):
    path = "/api/admin/audit"

    @get("/", summary="The admin audit record, newest first (page with next_before)")
    async def list_audit(
        self,
        db: Db,
        entity: FromQuery[AuditEntity | None] = None,
        entity_id: Annotated[str | None, QueryParameter(max_length=64)] = None,
        actor_id: FromQuery[int | None] = None,
        before: FromQuery[int | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> AuditPage:
        return await audit.page(
            db,
            entity=entity,
            entity_id=entity_id,
            actor_id=actor_id,
            before=before,
            limit=limit,
        )
