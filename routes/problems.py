"""The one place where errors become HTTP responses: RFC 9457 problem details with the field at fault."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from ledger import errors
from ledger.accounts import Unauthenticated

log = logging.getLogger("wasteledger.http")

PROBLEM_BASE = "https://wasteledger.example/problems/"
PROBLEM_JSON = "application/problem+json"

#: Domain error → HTTP status. Order matters: the first matching class wins.
STATUS_OF: tuple[tuple[type[errors.LedgerError], int], ...] = (
    (Unauthenticated, 401),
    (errors.NotFound, 404),
    (errors.Forbidden, 403),
    (errors.VersionConflict, 409),
    (errors.Conflict, 409),
    (errors.IllegalTransition, 409),
    (errors.QuotaExceeded, 422),
    (errors.SequenceExhausted, 422),
    (errors.InvalidInput, 422),
    (errors.LedgerIntegrityError, 500),
    (errors.LedgerError, 400),
)


#: Request bodies above this are refused with 413 before they are parsed (the largest legitimate body, a
#: shipment of a few thousand container codes, stays far below).
MAX_BODY_BYTES = 2 * 1024 * 1024

#: RFC 6750 §3: a 401 tells the client which scheme to use.
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="wasteledger"'}


def problem(
    status: int, type_: str, title: str, detail: str, *, field: str | None = None, **extra: Any
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {"type": PROBLEM_BASE + type_, "title": title, "status": status, "detail": detail}
    if field is not None:
        body["field"] = field
    body.update({k: v for k, v in extra.items() if v is not None})
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=CHALLENGE if status == 401 else None)


def status_of(exc: errors.LedgerError) -> int:
    return next(code for cls, code in STATUS_OF if isinstance(exc, cls))


def problem_body(exc: errors.LedgerError) -> dict[str, Any]:
    """The problem-details object of a domain error (also embedded per item in batch answers)."""
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + exc.code,
        "title": exc.code.replace("-", " "),
        "status": status_of(exc),
        "detail": exc.message,
    }
    if exc.field is not None:
        body["field"] = exc.field
    body.update({k: v for k, v in exc.details.items() if isinstance(v, (str, int, float, bool))})
    return body


def ledger_error(request: Request[Any, Any, Any], exc: errors.LedgerError) -> Response[dict[str, Any]]:
    if status_of(exc) >= 500:
        return internal_error(request, exc)
    body = problem_body(exc)
    status = body["status"]
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=CHALLENGE if status == 401 else None)


def validation_error(_: Request[Any, Any, Any], exc: ValidationException) -> Response[dict[str, Any]]:
    """Litestar's body/parameter validation, reshaped: each wrong field named, the first as ``field``."""
    extra = exc.extra if isinstance(exc.extra, list) else []
    fields = [
        {"field": str(item.get("key") or ""), "message": str(item.get("message") or "")}
        for item in extra
        if isinstance(item, Mapping)
    ]
    first = fields[0] if fields else {"field": None, "message": exc.detail}
    detail = "; ".join(f"{f['field']}: {f['message']}" for f in fields) or str(exc.detail)
    # An empty key means the body as a whole is at fault (e.g. an array where an object belongs): no field.
    return problem(
        400, "invalid-request", "invalid request", detail, field=first["field"] or None, errors=fields or None
    )


def http_error(_: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    slug = {
        400: "invalid-request",
        401: "unauthenticated",
        403: "forbidden",
        404: "not-found",
        405: "method-not-allowed",
        413: "body-too-large",
        429: "rate-limited",
    }.get(exc.status_code, "http-error")
    detail = str(exc.detail)
    if exc.status_code == 413:
        detail = f"the request body is larger than the {MAX_BODY_BYTES // (1024 * 1024)} MiB this API accepts"
    return problem(exc.status_code, slug, slug.replace("-", " "), detail)


def internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    """A real fault: logged with a request id that the client also gets, and no internals in the body."""
    request_id = uuid.uuid4().hex
    log.exception("request %s %s %s failed", request_id, request.method, request.url.path, exc_info=exc)
    return problem(
        HTTP_500_INTERNAL_SERVER_ERROR,
        "internal",
        "internal error",
        "the server failed; the fault is logged under this request id",
        request_id=request_id,
    )


def _raised_decoding_json(exc: BaseException) -> bool:
    frame = exc.__traceback__
    while frame is not None:
        if frame.tb_frame.f_code.co_name == "decode_json" and "litestar" in frame.tb_frame.f_code.co_filename:
            return True
        frame = frame.tb_next
    return False


def recursion_error(request: Request[Any, Any, Any], exc: RecursionError) -> Response[dict[str, Any]]:
    """A JSON body nested thousands deep makes the decoder give up with RecursionError: the client's fault, not
    a server fault (any other RecursionError still is one)."""
    if _raised_decoding_json(exc):
        return problem(400, "invalid-request", "invalid request", "the JSON body is nested too deeply")
    return internal_error(request, exc)


def exception_handlers() -> dict[type[Exception] | int, Callable[[Request[Any, Any, Any], Any], Response[Any]]]:
    return {
        errors.LedgerError: ledger_error,
        ValidationException: validation_error,
        HTTPException: http_error,
        RecursionError: recursion_error,
        Exception: internal_error,
    }


__all__ = ["MAX_BODY_BYTES", "PROBLEM_JSON", "MediaType", "exception_handlers", "problem"]
