"""Errors as RFC 9457 problem details with a stable ``code`` and a translated message.

Handlers raise :class:`AppError`; :func:`exception_handlers` maps it and every framework or
database error to ``application/problem+json``. Only a real outage produces a 5xx.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from asyncpg.exceptions import InterfaceError as PgInterfaceError
from asyncpg.exceptions import InternalClientError, PostgresError
from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    MethodNotAllowedException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from api.i18n import CATALOG, negotiate, t
from api.pgconnect import OUTAGE_SQLSTATES, driver_outage

log = logging.getLogger("tanggap.errors")

PROBLEM_JSON = "application/problem+json"


class AppError(Exception):
    """An expected failure with an HTTP status, a stable code and catalog parameters.

    A subclass names its status and default code in its header:
    ``class NotFound(AppError, status=404, code="not_found")``.
    """

    status = 400
    code = "validation_failed"

    def __init_subclass__(cls, *, status: int | None = None, code: str | None = None) -> None:
        super().__init_subclass__()
        cls.status = status or cls.status
        cls.code = code or cls.code

    def __init__(
        self,
        code: str | None = None,
        status: int | None = None,
        *,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
        **params: Any,
    ) -> None:
        self.code = code or self.code
        self.status = status or self.status
        self.headers = headers or {}
        self.extra = extra or {}
        self.params = params
        super().__init__(self.code)


class BadRequest(AppError, status=400, code="validation_failed"): ...


class Unauthorized(AppError, status=401, code="not_authenticated"): ...


class Forbidden(AppError, status=403, code="forbidden"): ...


class NotFound(AppError, status=404, code="not_found"): ...


class Conflict(AppError, status=409, code="conflict"): ...


class Unprocessable(AppError, status=422, code="validation_failed"): ...


def field_error(code: str, field: str, **params: Any) -> Unprocessable:
    """A 422 about one body field: ``errors`` names it (``key``, ``source: "body"``) with the
    code and the message in the caller's language, so a form shows it beside the field."""
    return Unprocessable(
        code, extra={"errors": [{"key": field, "source": "body", "code": code}]}, **params
    )


def field_conflict(code: str, field: str, **params: Any) -> Conflict:
    """A 409 about one body field (a name already taken): ``errors`` names it, as
    :func:`field_error` does, so a form shows it beside the field."""
    return Conflict(
        code, extra={"errors": [{"key": field, "source": "body", "code": code}]}, **params
    )


class RateLimited(AppError, status=429, code="rate_limited"):
    def __init__(self, retry_after: int, code: str = "rate_limited", **params: Any) -> None:
        super().__init__(
            code, headers={"Retry-After": str(retry_after)}, retry_after=retry_after, **params
        )


class Unavailable(AppError, status=503, code="service_unavailable"):
    def __init__(self, code: str = "service_unavailable", retry_after: int = 5, **p: Any) -> None:
        super().__init__(code, headers={"Retry-After": str(retry_after)}, **p)


def request_language(request: Request[Any, Any, Any]) -> str:
    return negotiate(request.headers.get("accept-language"))


def problem_title(status: int, lang: str) -> str:
    """A short summary of the problem in the caller's language (by status; 4xx/5xx fallbacks)."""
    for key in (f"title_{status}", "title_500" if status >= 500 else "title_400"):
        if key in CATALOG:
            return t(key, lang)
    return str(status)  # pragma: no cover - both fallbacks exist


def _said(error: Any, lang: str, params: dict[str, Any]) -> Any:
    """A field error with its message in ``lang`` (from its code, when it has no message)."""
    if isinstance(error, dict) and "code" in error and "message" not in error:
        return {**error, "message": t(error["code"], lang, **params)}
    return error


def problem(
    request: Request[Any, Any, Any],
    status: int,
    code: str,
    *,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
    **params: Any,
) -> Response[dict[str, Any]]:
    lang = request_language(request)
    body: dict[str, Any] = {
        "type": f"https://tanggap112.id/problems/{code.replace('_', '-')}",
        "title": problem_title(status, lang),
        "status": status,
        "code": code,
        "detail": t(code, lang, **params),
        "instance": request.url.path,
    }
    if extra:
        body.update(extra)
        # A field error carries its code; its message is said in the caller's language.
        if isinstance(body.get("errors"), list):
            body["errors"] = [_said(e, lang, params) for e in body["errors"]]
    rid = request.scope.get("state", {}).get("request_id")
    if rid:
        body["request_id"] = rid
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _app_error(request: Request[Any, Any, Any], exc: AppError) -> Response[dict[str, Any]]:
    return problem(
        request, exc.status, exc.code, headers=exc.headers, extra=exc.extra, **exc.params
    )


def _validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    errors = []
    if isinstance(exc.extra, list):
        for e in exc.extra:
            if isinstance(e, dict):
                errors.append({k: v for k, v in e.items() if k in {"key", "message", "source"}})
    return problem(request, 400, "validation_failed", extra={"errors": errors} if errors else None)


def _http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if isinstance(exc, NotAuthorizedException):
        code = "not_authenticated"
    elif isinstance(exc, PermissionDeniedException):
        code = "forbidden"
    elif isinstance(exc, NotFoundException):
        code = "route_not_found"
    elif isinstance(exc, MethodNotAllowedException):
        code = "method_not_allowed"
    elif status == 413:
        code = "body_too_large"
    elif status == 429:
        code = "rate_limited"
    elif status >= 500:
        code = "service_unavailable" if status == 503 else "internal_error"
    else:
        code = "validation_failed"
    return problem(request, status, code, headers=dict(exc.headers or {}))


def _integrity(request: Request[Any, Any, Any], exc: IntegrityError) -> Response[Any]:
    # Constraints are the last line of defence; handlers check first and raise clearer errors.
    return problem(request, 409, "conflict")


def database_unavailable(exc: DBAPIError) -> bool:
    """Whether a database error means an outage (retry later) rather than a bug."""
    if isinstance(exc, OperationalError | InterfaceError) or exc.connection_invalidated:
        return True
    sqlstate = str(getattr(exc.orig, "sqlstate", None) or "")
    # The driver's exception is the cause of SQLAlchemy's ``orig``.
    cause = getattr(exc.orig, "__cause__", None)
    return sqlstate.startswith(OUTAGE_SQLSTATES) or (cause is not None and driver_outage(cause))


# SQLSTATEs of a value PostgreSQL cannot take from the client: a number out of range (an id past
# int32, 22003, or asyncpg refusing to encode it, 22000), a NUL byte or an untranslatable
# character in text (22021, 22P05), bad text for a type (22P02), a bad date (22007, 22008), a
# string too long (22001). The request is wrong, not the server: 400. (22012, division by
# zero, stays a 500: that one is ours.)
_BAD_INPUT_SQLSTATES = {"22000", "22001", "22003", "22007", "22008", "22021", "22P02", "22P05"}


# A transaction PostgreSQL rolled back so that a concurrent one could go on: two writers waiting
# for each other (deadlock, 40P01) or a serialization failure (40001). Nothing of it was saved
# and the same request again goes through: 503 with Retry-After, as for an outage (the PWA and
# its offline queue retry by themselves), not a 500.
_RETRY_SQLSTATES = {"40001", "40P01"}


def _sqlstate(exc: BaseException) -> str:
    """The SQLSTATE of a driver error, raw or wrapped by SQLAlchemy (``orig``); else ''."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    return str(getattr(orig, "sqlstate", None) or "")


def _database(request: Request[Any, Any, Any], exc: DBAPIError) -> Response[Any]:
    status = answer_status(exc)
    if status == 400:
        return problem(request, 400, "validation_failed")
    if status == 503:
        # The error's type and SQLSTATE only: its text may carry the statement's parameters.
        return _outage(request, "database", f"{type(exc.orig or exc).__name__} {_sqlstate(exc)}")
    return _unexpected(request, exc)


def _driver(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    # asyncpg used directly, outside SQLAlchemy (PgQueuer's enqueue inside the request's
    # transaction, api/adapters/jobs.py; the one-statement requests, api/db/direct.py): its
    # errors arrive unwrapped.
    if answer_status(exc) == 503:
        return _outage(request, "database", f"{type(exc).__name__} {_sqlstate(exc)}")
    return _unexpected(request, exc)


def _os_error(request: Request[Any, Any, Any], exc: OSError) -> Response[Any]:
    # Connection refused/reset to the database or storage: an outage, retryable.
    return _outage(request, "dependency", type(exc).__name__)


def _pool_exhausted(request: Request[Any, Any, Any], exc: PoolTimeout) -> Response[Any]:
    # Every pooled connection is busy past the pool's timeout (a surge): retryable, not a bug.
    return _outage(request, "database pool", type(exc).__name__)


def _outage(request: Request[Any, Any, Any], what: str, error: str) -> Response[Any]:
    """503 with ``Retry-After``: the client (the PWA, a load test) retries by itself."""
    log.warning("%s unavailable: %s", what, error)
    return problem(request, 503, "service_unavailable", headers={"Retry-After": "5"})


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem(request, HTTP_500_INTERNAL_SERVER_ERROR, "internal_error")


def answer_status(exc: BaseException) -> int:
    """The status :func:`exception_handlers` answer ``exc`` with (the database and driver
    handlers decide by it).

    The metrics middleware counts a request whose exception was raised past it (by the auth
    middleware's session check during an outage, say) under this status: the app-level handler
    that answers it sends around the middleware, so its status is never seen there.
    """
    if isinstance(exc, AppError):
        return exc.status
    if isinstance(exc, ValidationException):
        return 400
    if isinstance(exc, HTTPException):
        return exc.status_code
    if isinstance(exc, IntegrityError):
        return 409
    if isinstance(exc, DBAPIError):
        if _sqlstate(exc) in _BAD_INPUT_SQLSTATES:
            return 400
        if _sqlstate(exc) in _RETRY_SQLSTATES:
            return 503
        return 503 if database_unavailable(exc) else 500
    if isinstance(exc, PoolTimeout | OSError):
        return 503
    if isinstance(exc, PostgresError | PgInterfaceError | InternalClientError):
        return 503 if driver_outage(exc) or _sqlstate(exc) in _RETRY_SQLSTATES else 500
    return 500


def exception_handlers() -> dict[Any, Any]:
    return {
        AppError: _app_error,
        ValidationException: _validation,
        HTTPException: _http,
        IntegrityError: _integrity,
        DBAPIError: _database,
        PoolTimeout: _pool_exhausted,
        PostgresError: _driver,
        PgInterfaceError: _driver,
        InternalClientError: _driver,
        OSError: _os_error,
        Exception: _unexpected,
    }


# ------------------------------------------------------------ OpenAPI
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details, with a stable `code` and a translated `detail`.",
    "required": ["type", "title", "status", "code", "detail", "instance"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "code": {"type": "string"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
}
# What any operation may answer, as problem details: bad input, a missing or refused token, a
# role that may not, something unknown, a conflict, a body too large, a refused change, a rate
# limit, and an outage (retry later). A 500 is never documented: it is always a bug.
PROBLEM_RESPONSES = {
    "400": "Bad input",
    "401": "Not signed in, or the token is invalid or expired",
    "403": "The caller's role may not do this",
    "404": "Not found (or not visible to the caller)",
    "409": "Conflict with the current state (version, duplicate)",
    "413": "Request body too large",
    "422": "Well-formed but refused by the rules",
    "429": "Too many requests; see Retry-After",
    "503": "A dependency is unavailable; retry after Retry-After",
}
_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


def document_problems(
    spec: dict[str, Any], public: set[tuple[str, str]] | None = None
) -> dict[str, Any]:
    """The OpenAPI document with every error answer the app gives: problem details.

    Litestar documents only its own 400 body, which the app never sends (errors become
    ``application/problem+json`` in :func:`exception_handlers`). ``public`` names the
    ``(method, path)`` operations no guard protects: a token is optional there, not required.
    An operation that declares its own ``security`` (say ``[{}]``) keeps it.
    """
    out = copy.deepcopy(spec)
    out.setdefault("components", {}).setdefault("schemas", {})["ProblemDetails"] = PROBLEM_SCHEMA
    ref = {"$ref": "#/components/schemas/ProblemDetails"}
    for path, item in out.get("paths", {}).items():
        for method, operation in item.items():
            if method not in _METHODS or not isinstance(operation, dict):
                continue
            responses = operation.setdefault("responses", {})
            for status, description in PROBLEM_RESPONSES.items():
                responses[status] = {
                    "description": description,
                    "content": {PROBLEM_JSON: {"schema": ref}},
                }
            if public and (method.upper(), path) in public and "security" not in operation:
                operation["security"] = [{}, {"bearer": []}]
    return out


def public_operations(app: Any) -> set[tuple[str, str]]:
    """``(METHOD, path)`` of every route no ``requires_*`` guard protects."""
    out: set[tuple[str, str]] = set()
    for route in app.routes:
        for method, entry in getattr(route, "route_handler_map", {}).items():
            handler = entry[0] if isinstance(entry, tuple) else entry
            # Litestar wraps sync guards (``AsyncCallable``); the function is ``.func``.
            guards = [
                getattr(getattr(g, "func", g), "__name__", "") for g in handler.resolve_guards()
            ]
            if not any(name.startswith("requires_") for name in guards):
                out.add((method, route.path_format))
    return out


class ProblemDocumentedJson(JsonRenderPlugin):
    """Serves ``/schema/openapi.json`` with the problem-details answers documented."""

    def __init__(self) -> None:
        super().__init__()
        self._rendered: bytes | None = None

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        if self._rendered is None:  # the routes do not change once the app is built
            documented = document_problems(openapi_schema, public_operations(request.app))
            self._rendered = super().render(request, documented)
        return self._rendered
