"""Public verification pages: what a phone shows after scanning a label (/v/<code>) or a printed manifest's QR
code (/m/<number>?h=<hash>). No login; nothing personal, no weights, no generator's USCC (the label already
names the generator; the page does not help anybody harvest identities by trying codes); rate-limited per
client address. Everything shown comes from :mod:`ledger.public`.
"""

from __future__ import annotations

from typing import Any

from litestar import Router, get
from litestar.di import NamedDependency
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from ledger import errors
from ledger.identifiers import CONTAINER_CODE_SEGMENTS
from ledger.public import check_manifest, public_container
from ledger.unit_of_work import Database
from routes.sessions import BROWSER, html_exception_handlers
from routes.web_settings import WebSettings

STATUS_NAMES = {
    "registered": ("已登记，待收运", "registered, waiting for collection"),
    "collected": ("运输中", "in transit"),
    "received": ("已送达处置单位", "received at the disposal plant"),
    "disposed": ("已处置", "disposed"),
    "refused": ("处置单位拒收", "refused by the plant"),
    "returned": ("已退回产生单位", "returned to its generator"),
    "voided": ("已作废", "voided"),
}
#: The unit segment (the generator's USCC) is left out of what the page prints.
UNIT_LENGTH = dict(CONTAINER_CODE_SEGMENTS)["unit"]


@get("/v/{code:path}", name="verify-container")
async def verify_container(db: NamedDependency[Database], code: FromPath[str]) -> Template:
    """A label's public facts: category, status, the plant, the dates, whether its chain verifies."""
    view = await public_container(db.uow(), code.strip("/"))
    method = db.catalogue.methods.get(view.method) if view.method else None
    division = db.catalogue.divisions.get(view.generator_division)
    return Template(
        "public_container.html",
        context={
            "c": view,
            "shown_code": "…" + view.code[UNIT_LENGTH:],
            "status": STATUS_NAMES.get(view.status, (view.status, view.status)),
            "method": method,
            "division": division,
        },
    )


@get("/m/{number:path}", name="verify-manifest")
async def verify_manifest(db: NamedDependency[Database], number: FromPath[str], h: FromQuery[str] = "") -> Template:
    """Does a printed manifest still match the ledger? (``h`` is the content hash its QR code carries.)"""
    if not h.strip():
        raise errors.InvalidInput("the QR code's address has no h=…: scan the manifest's code again", field="h")
    check = await check_manifest(db.uow(), number.strip("/"), h[:128])
    return Template("public_manifest.html", context={"m": check})


def _public_errors() -> dict[type[Exception] | int, Any]:
    handlers = html_exception_handlers("public_error.html")
    # A malformed code is the scanner's or the typist's mistake: 400, not the API's 422.
    base = handlers[errors.LedgerError]

    def bad_request(request: Any, exc: errors.LedgerError) -> Any:
        # A plain LedgerError is a 400 in routes.problems.STATUS_OF.
        return base(request, errors.LedgerError(exc.message, field=exc.field))

    handlers[errors.InvalidIdentifier] = bad_request
    handlers[errors.InvalidInput] = bad_request
    return handlers


def public_router(settings: WebSettings) -> Router:
    """The public pages behind a per-client rate limit (a phone scans a label now and then; a script trying
    codes gets 429 after ``public_per_minute`` requests in a minute)."""
    limit = RateLimitConfig(rate_limit=("minute", settings.public_per_minute), store="public_rate_limit")
    return Router(
        path="/",
        route_handlers=[verify_container, verify_manifest],
        middleware=[limit.middleware],
        exception_handlers=_public_errors(),
        opt=BROWSER,
        include_in_schema=False,
    )
