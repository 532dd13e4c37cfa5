"""Incoming CAP alerts over HTTP: the active ones that touch the city, for the dispatch map,
and their re-issue as a draft city warning. The use cases are in
:mod:`api.services.cap_incoming`."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import FromPath

from api.auth import requires_roles
from api.routes.deps import Cfg, CurrentUser, Db, Now
from api.routes.params import Id
from api.services import cap_incoming as service
from api.services.cap_incoming import IncomingView
from api.services.warnings import WarningView

__all__ = ["HANDLERS"]


class IncomingCapController(Controller):
    path = "/api/cap/incoming"
    tags = ["warnings"]

    @get(
        "/",
        summary="Received CAP alerts in force that touch the city",
        guards=[requires_roles("dispatcher", "supervisor", "coordinator")],
    )
    async def incoming(
        self, db: Db, settings: Cfg, principal: CurrentUser, now: Now
    ) -> list[IncomingView]:
        """Dispatchers, supervisors and BPBD coordinators. The words are shown as sent."""
        return await service.active(db, settings, principal, now)

    @post(
        "/{alert_id:int}/reissue",
        summary="Re-issue a received CAP alert as a draft city warning",
        guards=[requires_roles("supervisor", "coordinator")],
    )
    async def reissue(
        self, db: Db, settings: Cfg, principal: CurrentUser, now: Now, alert_id: FromPath[Id]
    ) -> WarningView:
        """Supervisors and BPBD coordinators; a second person still approves the draft."""
        return await service.reissue(db, settings, principal, alert_id, now)


HANDLERS = [IncomingCapController]
