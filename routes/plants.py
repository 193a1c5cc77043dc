"""Disposal plants: public licence and capacity data; regulators switch emergency lines on and off."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK

from ledger.actors import Actor
from ledger.plants import (
    PlantDetail,
    PlantPage,
    PlantPublic,
    PlantSwitch,
    get_plant_detail,
    list_plants,
    set_plant_active,
)
from ledger.queries import DEFAULT_PAGE
from ledger.unit_of_work import Database
from routes.auth import SECURITY


class PlantController(Controller):
    path = "/api/v1/plants"
    tags = ("plants",)
    security = SECURITY

    @get("/")
    async def list_plants(
        self,
        db: NamedDependency[Database],
        medical: FromQuery[bool | None] = None,
        active: FromQuery[bool | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[int] = DEFAULT_PAGE,
    ) -> PlantPage:
        """Every plant with its rated capacity and licence (public data: any authenticated caller)."""
        return await list_plants(db.uow(), medical=medical, active=active, cursor=cursor, limit=limit)

    @get("/{uscc:str}")
    async def read(self, db: NamedDependency[Database], uscc: FromPath[str]) -> PlantDetail:
        """One plant, with its stream: registration and every switch on or off, who and why."""
        return await get_plant_detail(db.uow(), uscc)

    @post("/{uscc:str}/activate", status_code=HTTP_200_OK)
    async def activate(
        self,
        db: NamedDependency[Database],
        actor: NamedDependency[Actor],
        uscc: FromPath[str],
        data: JSONBody[PlantSwitch],
    ) -> PlantPublic:
        """Switch an emergency line on (the regulator overseeing the plant, or an administrator)."""
        return await set_plant_active(db.uow(), uscc, True, data.reason, actor)

    @post("/{uscc:str}/deactivate", status_code=HTTP_200_OK)
    async def deactivate(
        self,
        db: NamedDependency[Database],
        actor: NamedDependency[Actor],
        uscc: FromPath[str],
        data: JSONBody[PlantSwitch],
    ) -> PlantPublic:
        """Switch an emergency line off again."""
        return await set_plant_active(db.uow(), uscc, False, data.reason, actor)
