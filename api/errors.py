"""Errors as RFC 9457 problem details with a stable ``code`` and a translated message.

Handlers raise :class:`AppError`; :func:`exception_handlers` maps it and every framework or
database error to ``application/problem+json``. Only a real outage produces a 5xx.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    MethodNotAllowedException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError

from api.i18n import negotiate, t

log = logging.getLogger("tanggap.errors")

PROBLEM_JSON = "application/problem+json"


class AppError(Exception):
    """An expected failure with an HTTP status, a stable code and catalog parameters."""

    status = 400
    code = "validation_failed"

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


class BadRequest(AppError):
    status = 400
    code = "validation_failed"


class Unauthorized(AppError):
    status = 401
    code = "not_authenticated"


class Forbidden(AppError):
    status = 403
    code = "forbidden"


class NotFound(AppError):
    status = 404
    code = "not_found"


class Conflict(AppError):
    status = 409
    code = "conflict"


class Unprocessable(AppError):
    status = 422
    code = "validation_failed"


class RateLimited(AppError):
    status = 429
    code = "rate_limited"

    def __init__(self, retry_after: int, code: str = "rate_limited", **params: Any) -> None:
        super().__init__(
            code, headers={"Retry-After": str(retry_after)}, retry_after=retry_after, **params
        )


class Unavailable(AppError):
    status = 503
    code = "service_unavailable"

    def __init__(self, code: str = "service_unavailable", retry_after: int = 5, **p: Any) -> None:
        super().__init__(code, headers={"Retry-After": str(retry_after)}, **p)


def request_language(request: Request[Any, Any, Any]) -> str:
    return negotiate(request.headers.get("accept-language"))


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
        "title": t(code, "en", **params),
        "status": status,
        "code": code,
        "detail": t(code, lang, **params),
        "instance": request.url.path,
    }
    if extra:
        body.update(extra)
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


def _database(request: Request[Any, Any, Any], exc: DBAPIError) -> Response[Any]:
    if isinstance(exc, OperationalError | InterfaceError) or exc.connection_invalidated:
        log.warning("database unavailable: %s", type(exc.orig).__name__ if exc.orig else exc)
        return problem(request, 503, "service_unavailable", headers={"Retry-After": "5"})
    return _unexpected(request, exc)


def _os_error(request: Request[Any, Any, Any], exc: OSError) -> Response[Any]:
    # Connection refused/reset to the database or storage: an outage, retryable.
    log.warning("dependency unavailable: %s", type(exc).__name__)
    return problem(request, 503, "service_unavailable", headers={"Retry-After": "5"})


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem(request, HTTP_500_INTERNAL_SERVER_ERROR, "internal_error")


def exception_handlers() -> dict[Any, Any]:
    return {
        AppError: _app_error,
        ValidationException: _validation,
        HTTPException: _http,
        IntegrityError: _integrity,
        DBAPIError: _database,
        OSError: _os_error,
        Exception: _unexpected,
    }
