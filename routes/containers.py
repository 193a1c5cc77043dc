"""Containers: register, list, read with history and hashes, void, correct."""

from __future__ import annotations

from datetime import date

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from ledger.actors import Actor
from ledger.containers import ContainerDetail, ContainerPublic, RegisterContainer, register_container
from ledger.lifecycle import ContainerStatus
from ledger.queries import (
    DEFAULT_PAGE,
    ContainerFilters,
    ContainerPage,
    CorrectionRequest,
    VoidRequest,
    correct_container_for,
    get_container_for,
    list_containers,
    void_container_for,
)
from ledger.unit_of_work import Database
from routes.auth import SECURITY


class ContainerController(Controller):
    path = "/api/v1/containers"
    tags = ("containers",)
    security = SECURITY

    @post("/", status_code=HTTP_201_CREATED)
    async def register(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], data: JSONBody[RegisterContainer]
    ) -> ContainerPublic:
        """Register a packed, weighed container: issues its 37-character code (generators for themselves)."""
        return await register_container(db.uow(), data, actor)

    @get("/")
    async def list_containers(
        self,
        db: NamedDependency[Database],
        actor: NamedDependency[Actor],
        status: FromQuery[ContainerStatus | None] = None,
        category: FromQuery[str | None] = None,
        waste_code: FromQuery[str | None] = None,
        generator: FromQuery[str | None] = None,
        plant: FromQuery[str | None] = None,
        division: FromQuery[str | None] = None,
        registered_from: FromQuery[date | None] = None,
        registered_to: FromQuery[date | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[int] = DEFAULT_PAGE,
    ) -> ContainerPage:
        """Containers in the caller's scope, newest first; filters narrow it, never widen it."""
        filters = ContainerFilters(
            status=status,
            category=category,
            waste_code=waste_code,
            generator=generator,
            plant=plant,
            division=division,
            registered_from=registered_from,
            registered_to=registered_to,
        )
        return await list_containers(db.uow(), actor, filters, cursor=cursor, limit=limit)

    @get("/{code:str}")
    async def read(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], code: FromPath[str]
    ) -> ContainerDetail:
        """A container's state and its whole history with the hashes that chain it."""
        return await get_container_for(db.uow(), code, actor)

    @post("/{code:str}/void", status_code=HTTP_200_OK)
    async def void(
        self,
        db: NamedDependency[Database],
        actor: NamedDependency[Actor],
        code: FromPath[str],
        data: JSONBody[VoidRequest],
    ) -> ContainerPublic:
        """Void a container before collection (misprinted label, never used): its generator only."""
        return await void_container_for(db.uow(), code, data, actor)

    @post("/{code:str}/corrections", status_code=HTTP_201_CREATED)
    async def correct(
        self,
        db: NamedDependency[Database],
        actor: NamedDependency[Actor],
        code: FromPath[str],
        data: JSONBody[CorrectionRequest],
    ) -> ContainerPublic:
        """Record a correction as a new event (the generator before collection, regulators after)."""
        return await correct_container_for(db.uow(), code, data, actor)
