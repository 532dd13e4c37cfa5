"""Sign in, refresh, sign out and "who am I"."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.params import JSONBody

from api.auth import requires_login
from api.routes.admin import AdminController
from api.routes.deps import Cfg, CurrentUser, Db, Lang, Now, client_ip
from api.services import auth as auth_service
from api.services.auth import Me, SecurityAlertOut


class LoginIn(msgspec.Struct, forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]


class RefreshIn(msgspec.Struct, forbid_unknown_fields=True):
    refresh_token: Annotated[str, msgspec.Meta(min_length=10, max_length=200)]


class TokensOut(msgspec.Struct):
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int
    user: Me


def tokens_out(tokens: auth_service.Tokens) -> TokensOut:
    return TokensOut(
        tokens.access_token, tokens.refresh_token, "Bearer", tokens.expires_in, tokens.me
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
            lang=lang,
        )
        return tokens_out(tokens)

    @post("/refresh", summary="Swap a refresh token for new tokens (rotates it)", status_code=200)
    async def refresh(
        self, data: JSONBody[RefreshIn], db: Db, settings: Cfg, state: State, now: Now, lang: Lang
    ) -> TokensOut:
        tokens = await auth_service.refresh(
            db, settings, state.token_key, refresh_token=data.refresh_token, now=now, lang=lang
        )
        return tokens_out(tokens)

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
        return await auth_service.me(db, principal.user_id, lang)


class SecurityAlertController(AdminController):
    path = "/api/admin/security-alerts"

    @get("/", summary="Security alerts, newest first (e.g. many wrong passwords for one account)")
    async def list_alerts(self, db: Db, settings: Cfg, lang: Lang) -> list[SecurityAlertOut]:
        return await auth_service.security_alerts(db, settings, lang)
