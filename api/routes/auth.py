"""Sign in, refresh, sign out and "who am I"."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.params import JSONBody
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import requires_login, requires_roles
from api.db.models import Agency, SecurityAlert, User, team_members
from api.i18n import t
from api.routes.deps import Cfg, CurrentUser, Db, Lang, Now, client_ip
from api.services import auth as auth_service


class LoginIn(msgspec.Struct, forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]


class RefreshIn(msgspec.Struct, forbid_unknown_fields=True):
    refresh_token: Annotated[str, msgspec.Meta(min_length=10, max_length=200)]


class AgencyRef(msgspec.Struct):
    id: int
    code: str
    name: str


class Me(msgspec.Struct):
    id: int
    username: str
    full_name: str
    role: str
    language: str
    agency: AgencyRef | None
    team_ids: list[int]


class TokensOut(msgspec.Struct):
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int
    user: Me


async def me_of(db: AsyncSession, user: User, lang: str) -> Me:
    agency = await db.get(Agency, user.agency_id) if user.agency_id else None
    team_ids = list(
        (
            await db.execute(
                select(team_members.c.team_id).where(team_members.c.user_id == user.id)
            )
        ).scalars()
    )
    return Me(
        id=user.id,
        username=user.username,
        full_name=user.full_name,
        role=user.role,
        language=user.language,
        agency=AgencyRef(agency.id, agency.code, agency.name_en if lang == "en" else agency.name_id)
        if agency
        else None,
        team_ids=sorted(team_ids),
    )


class AuthController(Controller):
    path = "/api/auth"
    tags = ["auth"]

    @post("/login", summary="Sign in with username and password", status_code=200)
    async def login(
        self,
        data: JSONBody[LoginIn],
        db: Db,
        settings: Cfg,
        state: State,
        request: Request[Any, Any, Any],
        now: Now,
        lang: Lang,
    ) -> TokensOut:
        tokens = await auth_service.login(
            db,
            settings,
            state.token_key,
            username=data.username,
            password=data.password,
            client_ip=client_ip(request),
            user_agent=request.headers.get("user-agent", ""),
            now=now,
        )
        return TokensOut(
            tokens.access_token,
            tokens.refresh_token,
            "Bearer",
            tokens.expires_in,
            await me_of(db, tokens.user, lang),
        )

    @post("/refresh", summary="Swap a refresh token for new tokens (rotates it)", status_code=200)
    async def refresh(
        self, data: JSONBody[RefreshIn], db: Db, settings: Cfg, state: State, now: Now, lang: Lang
    ) -> TokensOut:
        tokens = await auth_service.refresh(
            db, settings, state.token_key, refresh_token=data.refresh_token, now=now
        )
        return TokensOut(
            tokens.access_token,
            tokens.refresh_token,
            "Bearer",
            tokens.expires_in,
            await me_of(db, tokens.user, lang),
        )

    @post(
        "/logout",
        summary="Sign out: revoke this session's tokens",
        status_code=204,
        guards=[requires_login],
    )
    async def logout(self, db: Db, principal: CurrentUser, now: Now) -> None:
        await auth_service.logout(db, principal.session_id, now)

    @get("/me", summary="The signed-in user", guards=[requires_login])
    async def me(self, db: Db, principal: CurrentUser, lang: Lang) -> Me:
        user = await db.get(User, principal.user_id)
        assert user is not None  # the auth middleware just read it
        return await me_of(db, user, lang)


class SecurityAlertOut(msgspec.Struct):
    id: int
    kind: str
    user_id: int | None
    username: str | None
    failures: int
    at: datetime
    message: str


class SecurityAlertController(Controller):
    path = "/api/admin/security-alerts"
    tags = ["admin"]
    guards = [requires_roles("admin")]

    @get("/", summary="Security alerts, newest first (e.g. many wrong passwords for one account)")
    async def list_alerts(self, db: Db, settings: Cfg, lang: Lang) -> list[SecurityAlertOut]:
        rows = (
            await db.execute(
                select(SecurityAlert, User.username)
                .outerjoin(User, User.id == SecurityAlert.user_id)
                .order_by(SecurityAlert.at.desc(), SecurityAlert.id.desc())
                .limit(200)
            )
        ).all()
        return [
            SecurityAlertOut(
                a.id,
                a.kind,
                a.user_id,
                username,
                a.failures,
                a.at,
                t(
                    f"security_alert_{a.kind}",
                    lang,
                    failures=a.failures,
                    username=username or "?",
                    minutes=settings.login_window_minutes,
                ),
            )
            for a, username in rows
        ]
