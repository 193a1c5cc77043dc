"""Users and API tokens: administrators create users and mint or revoke tokens; everyone reads ``/me``."""

from __future__ import annotations

from datetime import timedelta

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from ledger.accounts import (
    TokenIssued,
    TokenPublic,
    TokenRequest,
    UserCreate,
    UserPage,
    UserPublic,
    create_user,
    get_me,
    get_user,
    issue_token,
    list_tokens,
    list_users,
    revoke_token,
)
from ledger.actors import Actor
from ledger.queries import DEFAULT_PAGE
from ledger.unit_of_work import Database
from routes.auth import SECURITY


class MeController(Controller):
    path = "/api/v1/me"
    tags = ("users",)
    security = SECURITY

    @get("/")
    async def me(self, db: NamedDependency[Database], actor: NamedDependency[Actor]) -> UserPublic:
        """The caller: user, organisation, role and jurisdiction."""
        return await get_me(db.uow(), actor)

    @get("/tokens")
    async def my_tokens(self, db: NamedDependency[Database], actor: NamedDependency[Actor]) -> list[TokenPublic]:
        """The caller's own tokens (never their secrets)."""
        return await list_tokens(db.uow(), actor.user or "", actor)


class UserController(Controller):
    path = "/api/v1/users"
    tags = ("users",)
    security = SECURITY

    @post("/", status_code=HTTP_201_CREATED)
    async def create(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], data: JSONBody[UserCreate]
    ) -> UserPublic:
        """Create a user (administrators)."""
        return await create_user(db.uow(), data, actor)

    @get("/")
    async def list_users(
        self,
        db: NamedDependency[Database],
        actor: NamedDependency[Actor],
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[int] = DEFAULT_PAGE,
    ) -> UserPage:
        """Users in username order (administrators)."""
        return await list_users(db.uow(), actor, cursor=cursor, limit=limit)

    @get("/{username:str}")
    async def read(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], username: FromPath[str]
    ) -> UserPublic:
        """One user (administrators)."""
        return await get_user(db.uow(), username, actor)

    @post("/{username:str}/tokens", status_code=HTTP_201_CREATED)
    async def mint(
        self,
        db: NamedDependency[Database],
        actor: NamedDependency[Actor],
        username: FromPath[str],
        data: JSONBody[TokenRequest],
    ) -> TokenIssued:
        """Mint a token for a user (administrators); the secret is in this response only."""
        return await issue_token(db.uow(), username, timedelta(days=data.days), data.label, actor)

    @get("/{username:str}/tokens")
    async def tokens(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], username: FromPath[str]
    ) -> list[TokenPublic]:
        """A user's tokens (administrators, or the user): ids, labels, expiry, revocation; never the secret."""
        return await list_tokens(db.uow(), username, actor)


class TokenController(Controller):
    path = "/api/v1/tokens"
    tags = ("users",)
    security = SECURITY

    @post("/{token_id:int}/revoke", status_code=HTTP_200_OK)
    async def revoke(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], token_id: FromPath[int]
    ) -> TokenPublic:
        """Revoke a token at once (administrators any, users their own)."""
        return await revoke_token(db.uow(), token_id, actor)
