"""Organisations: the public register, with contact details where the caller may see them."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from ledger.actors import Actor
from ledger.organisations import (
    OrganisationCreate,
    OrganisationKind,
    OrganisationPage,
    OrganisationPublic,
    create_organisation,
    get_organisation,
    list_organisations,
)
from ledger.queries import DEFAULT_PAGE
from ledger.unit_of_work import Database
from routes.auth import SECURITY


class OrganisationController(Controller):
    path = "/api/v1/organisations"
    tags = ("organisations",)
    security = SECURITY

    @get("/")
    async def list_organisations(
        self,
        db: NamedDependency[Database],
        actor: NamedDependency[Actor],
        kind: FromQuery[OrganisationKind | None] = None,
        division: FromQuery[str | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[int] = DEFAULT_PAGE,
    ) -> OrganisationPage:
        """Organisations in USCC order; contact details only for your own, your jurisdiction's, or as admin."""
        return await list_organisations(db.uow(), actor, kind=kind, division=division, cursor=cursor, limit=limit)

    @get("/{uscc:str}")
    async def read(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], uscc: FromPath[str]
    ) -> OrganisationPublic:
        """One organisation."""
        return await get_organisation(db.uow(), uscc, actor)

    @post("/", status_code=HTTP_201_CREATED)
    async def create(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], data: JSONBody[OrganisationCreate]
    ) -> OrganisationPublic:
        """Register an organisation (administrators); a plant comes with its licence."""
        return await create_organisation(db.uow(), data, actor)
