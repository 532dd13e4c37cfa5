"""Open311 GeoReport v2 under ``/open311``, and the admin API for its keys.

Every resource comes as ``name.xml`` or ``name.json``; without a suffix it is XML, the format
the spec requires. Errors use the spec's own format (``<errors><error><code>``... or
``[{"code", "description"}]``) with 400, 403 (API key) or 404, in the same format as the
resource asked for. ``POST requests`` takes ``application/x-www-form-urlencoded`` with an
``api_key`` an admin issued (``/api/admin/open311-keys``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, Router, delete, get, patch, post
from litestar.datastructures import State
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import FromPath, FromQuery, JSONBody

from api.auth import requires_roles
from api.domain.open311 import (
    CONTENT_TYPES,
    Format,
    Open311Refused,
    csv_values,
    date_range,
    error_body,
    format_of_path,
    page_of,
    parse_form,
    render,
    split_format,
    status_filter,
)
from api.errors import AppError, request_language
from api.i18n import t
from api.routes.conditional import PUBLIC_LIST_CACHE, conditional
from api.routes.deps import SHOWN_ONCE, By, Cfg, Db, Lang, Now, ReadDb, read_fresh
from api.services import open311 as svc
from api.services.open311 import KeyOut

FORM = "application/x-www-form-urlencoded"
# What Litestar is given; it adds "; charset=utf-8" to text/* itself (see CONTENT_TYPES).
MEDIA_TYPES: dict[Format, str] = {"xml": "text/xml", "json": CONTENT_TYPES["json"]}
MAX_FORM_BYTES = 64 * 1024
Query = FromQuery[str | None]


def answer(
    fmt: Format,
    root: str,
    payload: Any,
    *,
    public: bool = True,
    request: Request[Any, Any, Any] | None = None,
) -> Response[bytes]:
    """The payload in the asked format; for a public read (``request`` given) with an ETag,
    a short shared-cache lifetime, and a 304 when the client holds the same answer."""
    headers = {"Access-Control-Allow-Origin": "*"} if public else {}
    body = render(fmt, root, payload)
    if request is None:
        return Response(body, media_type=MEDIA_TYPES[fmt], headers=headers)
    # The language of the answer comes from Accept-Language; a client in another origin may
    # read the ETag to revalidate.
    headers |= {"Vary": "Accept-Language", "Access-Control-Expose-Headers": "ETag"}
    return conditional(request, body, MEDIA_TYPES[fmt], PUBLIC_LIST_CACHE, headers)


def not_found() -> Open311Refused:
    return Open311Refused(404, "open311_not_found")


# ------------------------------------------------------------------ errors
def _spec_error(
    request: Request[Any, Any, Any], status: int, code: str, /, **params: Any
) -> Response[bytes]:
    fmt = format_of_path(request.url.path)
    return Response(
        error_body(fmt, status, t(code, request_language(request), **params)),
        status_code=status,
        media_type=MEDIA_TYPES[fmt],
    )


def _refused(request: Request[Any, Any, Any], exc: Open311Refused) -> Response[bytes]:
    return _spec_error(request, exc.status, exc.code, **exc.params)


def _app_error(request: Request[Any, Any, Any], exc: AppError) -> Response[bytes]:
    # The spec keeps 403 for API keys and 404 for missing resources; any other refusal is 400.
    # A rate limit stays 429 with its Retry-After; an outage stays 503.
    status = exc.status if exc.status in (404, 429) or exc.status >= 500 else 400
    response = _spec_error(request, status, exc.code, **exc.params)
    response.headers.update(exc.headers)
    return response


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    if isinstance(exc, ValidationException):
        return _spec_error(request, 400, "validation_failed")
    status = exc.status_code if exc.status_code in (404, 405, 413) else 400
    code = {404: "open311_not_found", 405: "method_not_allowed", 413: "body_too_large"}.get(
        status, "validation_failed"
    )
    return _spec_error(request, status, code)


EXCEPTION_HANDLERS: dict[Any, Any] = {
    Open311Refused: _refused,
    AppError: _app_error,
    HTTPException: _http_error,
}


# -------------------------------------------------------------- discovery
def _last_segment(request: Request[Any, Any, Any]) -> str:
    return request.url.path.rstrip("/").rsplit("/", 1)[-1]


def _base_url(request: Request[Any, Any, Any]) -> str:
    return str(request.base_url).rstrip("/")


@get("/{name:str}", summary="Open311 service discovery (discovery.xml / discovery.json)")
async def discovery(
    request: Request[Any, Any, Any], settings: Cfg, lang: Lang, name: FromPath[str]
) -> Response[bytes]:
    base, fmt = split_format(name)
    if base != "discovery":
        raise not_found()
    return answer(fmt, "discovery", svc.discovery(settings, _base_url(request), lang))


# ------------------------------------------------------------------ GeoReport
@dataclass
class PostRequestOperation(Operation):
    """OpenAPI for ``POST requests``: the spec's urlencoded form, read by the handler."""

    def __post_init__(self) -> None:
        text = Schema(type=OpenAPIType.STRING)
        number = Schema(type=OpenAPIType.NUMBER)
        self.request_body = RequestBody(
            required=True,
            content={
                FORM: OpenAPIMediaType(
                    schema=Schema(
                        type=OpenAPIType.OBJECT,
                        required=["api_key", "service_code", "lat", "long"],
                        properties={
                            "api_key": text,
                            "service_code": text,
                            "lat": number,
                            "long": number,
                            "address_string": text,
                            "description": Schema(type=OpenAPIType.STRING, max_length=4000),
                            "first_name": text,
                            "last_name": text,
                            "phone": text,
                            "email": text,
                            "device_id": text,
                            "account_id": text,
                            "media_url": text,
                            "attribute[code]": text,
                        },
                    )
                )
            },
        )


# "/v2/services" and "/v2/requests" are named too: they are also the stems of
# "/v2/services/{code}" and "/v2/requests/{id}", which the router would otherwise pick.
@get(
    ["/v2/{name:str}", "/v2/services", "/v2/requests"],
    summary="GeoReport v2: services, requests, servicerequestupdates (.xml or .json)",
)
async def v2_get(
    request: Request[Any, Any, Any],
    read_db: ReadDb,
    settings: Cfg,
    now: Now,
    lang: Lang,
    service_request_id: Query = None,
    service_code: Query = None,
    start_date: Query = None,
    end_date: Query = None,
    status: Query = None,
    page: Query = None,
    page_size: Query = None,
    jurisdiction_id: Query = None,
) -> Response[bytes]:
    """``services``: the categories. ``requests``: service requests, filtered by
    ``service_request_id`` (comma separated; overrides the rest), ``service_code``,
    ``start_date``/``end_date`` (90 days at most; the last 90 days by default), ``status``
    (open, closed) and paged with ``page``/``page_size`` (1000 at most).
    ``servicerequestupdates``: public status changes (FixMyStreet's extension).
    ``jurisdiction_id`` is accepted and ignored: this endpoint serves one city."""
    base, fmt = split_format(_last_segment(request))
    if base == "services":
        return answer(fmt, "services", await svc.services(read_db, lang), request=request)
    if base == "discovery":
        found = svc.discovery(settings, _base_url(request), lang)
        return answer(fmt, "discovery", found, request=request)
    if base == "requests":
        ids = csv_values(service_request_id)
        pg, size = page_of(page, page_size)
        start = end = None
        if not ids:
            start, end = date_range(start_date, end_date, now, settings.tz)
        query = svc.RequestQuery(
            ids=ids,
            codes=csv_values(service_code),
            statuses=status_filter(status),
            start=start,
            end=end,
            page=pg,
            page_size=size,
        )
        listed = await svc.query_requests(read_db, settings, query, lang)
        return answer(fmt, "service_requests", listed, request=request)
    if base == "servicerequestupdates":
        pg, size = page_of(page, page_size)
        start, end = date_range(start_date, end_date, now, settings.tz)
        items = await svc.updates(
            read_db, settings, start=start, end=end, page=pg, page_size=size, lang=lang
        )
        return answer(fmt, "service_request_updates", items, request=request)
    raise not_found()


@post(
    ["/v2/{name:str}", "/v2/requests"],
    summary="GeoReport v2: POST requests (form-urlencoded, with an api_key)",
    status_code=200,
    request_max_body_size=MAX_FORM_BYTES,
    operation_class=PostRequestOperation,
)
async def v2_post(
    request: Request[Any, Any, Any],
    db: Db,
    settings: Cfg,
    now: Now,
    lang: Lang,
) -> Response[bytes]:
    """Create a service request: ``api_key``, ``service_code``, ``lat`` and ``long`` (this
    server does not geocode ``address_string``), ``description``, ``attribute[code]=value``;
    ``first_name``, ``last_name`` and ``phone`` are kept private. Answers with the new
    ``service_request_id`` (the case reference) and a ``service_notice``."""
    base, fmt = split_format(_last_segment(request))
    if base != "requests":
        raise not_found()
    body = await request.body()
    fields, attributes = parse_form(body)
    # The key is checked first: a client without one learns nothing else (403).
    key = await svc.authenticate(db, fields.get("api_key"), now)
    mime = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if mime != FORM:
        raise Open311Refused(400, "open311_form_required")
    created = await svc.create_request(db, settings, key, fields, attributes, now=now, lang=lang)
    return answer(fmt, "service_requests", created, public=False)


@get("/v2/services/{name:str}", summary="GeoReport v2: a service definition (its attributes)")
async def v2_service(
    request: Request[Any, Any, Any], read_db: ReadDb, lang: Lang, name: FromPath[str]
) -> Response[bytes]:
    code, fmt = split_format(name)
    found = await svc.definition(read_db, code, lang)
    return answer(fmt, "service_definition", found, request=request)


@get("/v2/requests/{name:str}", summary="GeoReport v2: one service request")
async def v2_request(
    request: Request[Any, Any, Any],
    state: State,
    read_db: ReadDb,
    settings: Cfg,
    lang: Lang,
    name: FromPath[str],
) -> Response[bytes]:
    request_id, fmt = split_format(name)
    # A request created a moment ago may not be on the replica yet: read_fresh asks the primary.
    found = await read_fresh(
        state, read_db, lambda db: svc.one_request(db, settings, request_id, lang)
    )
    return answer(fmt, "service_requests", found, request=request)


@get("/v2/tokens/{name:str}", summary="GeoReport v2: the service request of a token")
async def v2_token(state: State, read_db: ReadDb, name: FromPath[str]) -> Response[bytes]:
    token, fmt = split_format(name)
    found = await read_fresh(state, read_db, lambda db: svc.token_request(db, token))
    return answer(fmt, "service_requests", found, public=False)


open311_router = Router(
    path="/open311",
    route_handlers=[discovery, v2_get, v2_post, v2_service, v2_request, v2_token],
    exception_handlers=EXCEPTION_HANDLERS,
    tags=["open311"],
    security=[{}],
)


# -------------------------------------------------------------- admin: keys
class KeyIn(msgspec.Struct, forbid_unknown_fields=True):
    """Who the key is for (a portal, a FixMyStreet instance), to recognise it later, and its own
    request limit within the report window (null: the city default; 1 to 100,000, else a 422
    beside ``requests_limit``)."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    requests_limit: int | None = None


class KeyPatch(msgspec.Struct, forbid_unknown_fields=True):
    """A change to a key: only the fields sent (``requests_limit: null`` is the city default)."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | msgspec.UnsetType = (
        msgspec.UNSET
    )
    requests_limit: int | msgspec.UnsetType | None = msgspec.UNSET


class IssuedKeyOut(msgspec.Struct):
    """``api_key`` is shown this once: only its hash is stored."""

    id: int
    name: str
    api_key: str
    requests_limit: int | None
    created_at: datetime


class Open311KeyController(Controller):
    path = "/api/admin/open311-keys"
    tags = ["admin"]
    guards = [requires_roles("admin")]

    @get("/", summary="Open311 API keys (never the keys themselves)")
    async def list_keys(self, db: Db, settings: Cfg) -> list[KeyOut]:
        return [svc.key_out(k, settings) for k in await svc.list_keys(db)]

    @post("/", summary="Issue an Open311 API key (shown once)", cache_control=SHOWN_ONCE)
    async def issue(self, db: Db, actor: By, data: JSONBody[KeyIn]) -> IssuedKeyOut:
        key, raw = await svc.issue_key(db, data.name, actor, data.requests_limit)
        return IssuedKeyOut(key.id, key.name, raw, key.requests_limit, key.created_at)

    @patch("/{key_id:int}", summary="Rename an Open311 API key or set its own request limit")
    async def change(
        self, db: Db, settings: Cfg, actor: By, key_id: FromPath[int], data: JSONBody[KeyPatch]
    ) -> KeyOut:
        key = await svc.change_key(db, key_id, msgspec.to_builtins(data), actor)
        return svc.key_out(key, settings)

    @delete("/{key_id:int}", summary="Revoke an Open311 API key", status_code=200)
    async def revoke(self, db: Db, settings: Cfg, actor: By, key_id: FromPath[int]) -> KeyOut:
        return svc.key_out(await svc.revoke_key(db, key_id, actor), settings)
