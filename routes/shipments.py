"""Shipments (transfer manifests): create, list, read, fill, sign, receive, dispose, correct, print."""

from __future__ import annotations

from typing import Any, TypeVar

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from sqlmodel import Field, SQLModel

from ledger.actors import Actor
from ledger.errors import InvalidInput
from ledger.queries import DEFAULT_PAGE, ShipmentPage, list_shipments
from ledger.shipments import (
    AmendShipment,
    CreateShipment,
    Dispatch,
    DisposeContainers,
    ProposeCorrection,
    ReceiveContainer,
    RefuseContainer,
    ShipmentDetail,
    ShipmentPublic,
    ShipmentStatus,
    SignReceipt,
    add_containers,
    amend_shipment,
    approve_correction,
    cancel_shipment,
    create_shipment,
    deliver,
    dispatch,
    dispose_containers,
    get_shipment,
    plan_collection_round,
    propose_correction,
    receive_container,
    refuse_container,
    remove_containers,
    sign_as_generator,
    sign_receipt,
)
from ledger.text import Line, Prose
from ledger.unit_of_work import Database
from routes.auth import SECURITY
from wasteledger.printing import manifest_pdf

Number = FromPath[str]
ReceiveAnyContainer = TypeVar("ReceiveAnyContainer", ReceiveContainer, RefuseContainer)


class ContainerCodes(SQLModel):
    containers: list[str] = Field(min_length=1, max_length=5000)


class Reason(SQLModel):
    reason: Prose = Field(min_length=3, max_length=300)


class CollectionRound(SQLModel):
    transporter: str = Field(min_length=18, max_length=18)
    receiver: str = Field(min_length=18, max_length=18)
    generators: list[str] = Field(min_length=1, max_length=100)
    vehicle_plate: Line = Field(default="", max_length=16)
    driver: Line = Field(default="", max_length=60)


def same_shipment(data: ReceiveAnyContainer, number: str) -> ReceiveAnyContainer:
    if data.shipment != number:
        raise InvalidInput(f"the body names shipment {data.shipment}, the path {number}", field="shipment")
    return data


class ShipmentController(Controller):
    path = "/api/v1/shipments"
    tags = ("shipments",)
    security = SECURITY

    @post("/", status_code=HTTP_201_CREATED)
    async def create(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], data: JSONBody[CreateShipment]
    ) -> ShipmentPublic:
        """Start a manifest (draft) with a fresh 14-digit number."""
        return await create_shipment(db.uow(), data, actor)

    @get("/")
    async def list(
        self,
        db: NamedDependency[Database],
        actor: NamedDependency[Actor],
        status: FromQuery[ShipmentStatus | None] = None,
        cross_province: FromQuery[bool | None] = None,
        division: FromQuery[str | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[int] = DEFAULT_PAGE,
    ) -> ShipmentPage:
        """Manifests in the caller's scope, newest first."""
        return await list_shipments(
            db.uow(), actor, status=status, cross_province=cross_province, division=division, cursor=cursor, limit=limit
        )

    @get("/{number:str}")
    async def read(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: Number
    ) -> ShipmentDetail:
        """A manifest with its containers, weights, signatures, discrepancies and content hash."""
        return await get_shipment(db.uow(), number, actor)

    @get("/{number:str}/manifest.pdf", media_type="application/pdf")
    async def manifest(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: Number
    ) -> Response[bytes]:
        """The printable manifest; its QR code lets an inspector check the paper against the ledger."""
        pdf = await manifest_pdf(db, number, actor)
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="manifest-{number}.pdf"'},
        )

    @post("/{number:str}/containers", status_code=HTTP_200_OK)
    async def add(
        self,
        db: NamedDependency[Database],
        actor: NamedDependency[Actor],
        number: Number,
        data: JSONBody[ContainerCodes],
    ) -> ShipmentPublic:
        """List containers on a draft manifest."""
        return await add_containers(db.uow(), number, data.containers, actor)

    @post("/{number:str}/containers/remove", status_code=HTTP_200_OK)
    async def remove(
        self,
        db: NamedDependency[Database],
        actor: NamedDependency[Actor],
        number: Number,
        data: JSONBody[ContainerCodes],
    ) -> ShipmentPublic:
        """Take containers off a draft manifest."""
        return await remove_containers(db.uow(), number, data.containers, actor)

    @post("/{number:str}/amend", status_code=HTTP_200_OK)
    async def amend(
        self,
        db: NamedDependency[Database],
        actor: NamedDependency[Actor],
        number: Number,
        data: JSONBody[AmendShipment],
    ) -> ShipmentPublic:
        """Fill or change fields no signature has locked yet (each by its own party)."""
        return await amend_shipment(db.uow(), number, data, actor)

    @post("/{number:str}/sign", status_code=HTTP_200_OK)
    async def sign(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: Number
    ) -> ShipmentPublic:
        """The generator's signature."""
        return await sign_as_generator(db.uow(), number, actor)

    @post("/{number:str}/cancel", status_code=HTTP_200_OK)
    async def cancel(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: Number, data: JSONBody[Reason]
    ) -> ShipmentPublic:
        """Abandon a draft."""
        return await cancel_shipment(db.uow(), number, data.reason, actor)

    @post("/{number:str}/dispatch", status_code=HTTP_200_OK)
    async def dispatch(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: Number, data: JSONBody[Dispatch]
    ) -> ShipmentPublic:
        """The transporter's signature at pickup: containers collected, cross-province quota consumed."""
        return await dispatch(db.uow(), number, data, actor)

    @post("/{number:str}/deliver", status_code=HTTP_200_OK)
    async def deliver(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: Number
    ) -> ShipmentPublic:
        """The transporter's signature at the receiver's gate."""
        return await deliver(db.uow(), number, actor)

    @post("/{number:str}/receipts", status_code=HTTP_200_OK)
    async def receive(
        self,
        db: NamedDependency[Database],
        actor: NamedDependency[Actor],
        number: Number,
        data: JSONBody[ReceiveContainer],
    ) -> dict[str, Any]:
        """The plant scans and weighs one container (``shipment`` in the body must match the path)."""
        return await receive_container(db.uow(), same_shipment(data, number), actor)

    @post("/{number:str}/refusals", status_code=HTTP_200_OK)
    async def refuse(
        self,
        db: NamedDependency[Database],
        actor: NamedDependency[Actor],
        number: Number,
        data: JSONBody[RefuseContainer],
    ) -> dict[str, Any]:
        """The plant refuses one container, with a reason."""
        return await refuse_container(db.uow(), same_shipment(data, number), actor)

    @post("/{number:str}/receipt", status_code=HTTP_200_OK)
    async def sign_receipt(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: Number, data: JSONBody[SignReceipt]
    ) -> ShipmentPublic:
        """The receiver's signature: accepted, partially refused or refused."""
        return await sign_receipt(db.uow(), number, data, actor)

    @post("/{number:str}/corrections", status_code=HTTP_201_CREATED)
    async def propose(
        self,
        db: NamedDependency[Database],
        actor: NamedDependency[Actor],
        number: Number,
        data: JSONBody[ProposeCorrection],
    ) -> ShipmentPublic:
        """Propose a correction of signed fields; the other signed parties approve it."""
        return await propose_correction(db.uow(), number, data, actor)

    @post("/{number:str}/corrections/{index:int}/approve", status_code=HTTP_200_OK)
    async def approve(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: Number, index: FromPath[int]
    ) -> ShipmentPublic:
        """Approve a proposed correction; the last approval applies it."""
        return await approve_correction(db.uow(), number, index, actor)


class RoundController(Controller):
    path = "/api/v1/rounds"
    tags = ("shipments",)
    security = SECURITY

    @post("/", status_code=HTTP_201_CREATED)
    async def plan(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], data: JSONBody[CollectionRound]
    ) -> list[ShipmentPublic]:
        """A collection round: one trip, one manifest per generator."""
        return await plan_collection_round(
            db.uow(),
            data.transporter,
            data.receiver,
            data.generators,
            actor,
            vehicle_plate=data.vehicle_plate,
            driver=data.driver,
        )


class DisposalController(Controller):
    path = "/api/v1/disposals"
    tags = ("shipments",)
    security = SECURITY

    @post("/", status_code=HTTP_201_CREATED)
    async def dispose(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], data: JSONBody[DisposeContainers]
    ) -> dict[str, list[str]]:
        """Record disposal of received containers (a method valid for their waste and licensed)."""
        return {"disposed": await dispose_containers(db.uow(), data, actor)}
