"""Bearer tokens → :class:`~ledger.actors.Actor`.

Authentication is a middleware, so every route requires a token unless it opts out (``exclude_from_auth``: the
health check) or lives under ``/schema``: a new endpoint is closed until someone decides otherwise. Handlers
receive the actor as the ``actor`` dependency and pass it to the ledger, which decides what it may see and do.

Routes marked :data:`TOKEN_CHECKED_BY_USE_CASE` (the scans, the hot path) still need a well-formed bearer
token to get past the middleware, but it is looked up by the use case in its own read (the handler passes
``request.auth`` on): one round trip fewer, and the same answers to unknown, expired and revoked tokens.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult, DefineMiddleware
from litestar.openapi.spec import Components, SecurityRequirement, SecurityScheme

from ledger.accounts import PresentedToken, Unauthenticated, authenticate
from ledger.actors import Actor
from ledger.unit_of_work import Database

#: Route option that makes a route public.
PUBLIC = {"exclude_from_auth": True}
#: Route option: the middleware checks the token's form only; the use case looks it up (``request.auth``).
TOKEN_CHECKED_BY_USE_CASE = {"token_checked_by_use_case": True}
SECURITY_SCHEME = "BearerToken"
SECURITY: list[SecurityRequirement] = [{SECURITY_SCHEME: []}]
SECURITY_COMPONENTS = Components(
    security_schemes={
        SECURITY_SCHEME: SecurityScheme(
            type="http",
            scheme="bearer",
            description="An API token (wl_…) from `wasteledger mint-token USERNAME` or an administrator.",
        )
    }
)


def bearer_token(header: str | None) -> str:
    """The token of an ``Authorization: Bearer …`` header (the scheme is case-insensitive, RFC 9110)."""
    if not header:
        raise Unauthenticated("a bearer token is required: send 'Authorization: Bearer wl_…'", field="authorization")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("the Authorization header must read 'Bearer wl_…'", field="authorization")
    return token.strip()


class BearerTokenMiddleware(AbstractAuthenticationMiddleware):
    """Looks the token up on every request (one indexed read): revocation takes effect at once."""

    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        plaintext = bearer_token(connection.headers.get("authorization"))
        if connection.route_handler.opt.get("token_checked_by_use_case"):
            return AuthenticationResult(user=None, auth=PresentedToken.of(plaintext))
        db: Database = connection.app.state.db
        actor = await authenticate(db.uow(), plaintext)
        return AuthenticationResult(user=actor, auth=None)


def auth_middleware() -> DefineMiddleware:
    return DefineMiddleware(BearerTokenMiddleware, exclude=["^/schema"])


async def provide_actor(request: Request[Actor, None, Any]) -> Actor:
    """The authenticated actor (set by :class:`BearerTokenMiddleware`)."""
    return request.user
