"""Cross-province transfers: the white list and transfer approvals, with their usage."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from sqlmodel import Field, SQLModel

from ledger.actors import Actor
from ledger.text import Prose
from ledger.transfers import (
    AmendQuota,
    CreateApproval,
    CreateWhiteListEntry,
    QuotaPublic,
    amend_quota,
    create_approval,
    create_white_list_entry,
    list_quotas,
    revoke_quota,
)
from ledger.unit_of_work import Database
from routes.auth import SECURITY


class Revocation(SQLModel):
    reason: Prose = Field(min_length=3, max_length=300)


class TransferController(Controller):
    path = "/api/v1"
    tags = ("transfers",)
    security = SECURITY

    @get("/quotas")
    async def list_quotas(
        self, db: NamedDependency[Database], receiver: FromQuery[str | None] = None
    ) -> list[QuotaPublic]:
        """White-list entries and approvals: listed, used and remaining tonnes (public licence data)."""
        return await list_quotas(db.uow(), receiver=receiver)

    @post("/white-list", status_code=HTTP_201_CREATED)
    async def create_entry(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], data: JSONBody[CreateWhiteListEntry]
    ) -> QuotaPublic:
        """List a receiver × waste × tonnes for a year (provincial regulators)."""
        return await create_white_list_entry(db.uow(), data, actor)

    @post("/approvals", status_code=HTTP_201_CREATED)
    async def create_approval(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], data: JSONBody[CreateApproval]
    ) -> QuotaPublic:
        """Record a transfer approval, valid 12 months at most (provincial regulators)."""
        return await create_approval(db.uow(), data, actor)

    @post("/quotas/{quota_id:str}/amend", status_code=HTTP_200_OK)
    async def amend(
        self,
        db: NamedDependency[Database],
        actor: NamedDependency[Actor],
        quota_id: FromPath[str],
        data: JSONBody[AmendQuota],
    ) -> QuotaPublic:
        """A new version of an entry or approval (quantity or end of validity), with the reason."""
        return await amend_quota(db.uow(), quota_id, data, actor)

    @post("/quotas/{quota_id:str}/revoke", status_code=HTTP_200_OK)
    async def revoke(
        self,
        db: NamedDependency[Database],
        actor: NamedDependency[Actor],
        quota_id: FromPath[str],
        data: JSONBody[Revocation],
    ) -> QuotaPublic:
        """Revoke an entry or approval: it no longer covers dispatches."""
        return await revoke_quota(db.uow(), quota_id, data.reason, actor)
