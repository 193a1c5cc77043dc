"""Reads and writes of containers as a given actor sees them, and the cursor pagination every list shares.

The container use cases in :mod:`ledger.containers` check who may *act*; this module first checks who may
*see*, so that a container outside the caller's scope is reported exactly like one that was never issued.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import and_, or_, select
from sqlmodel import Field, SQLModel, col

from ledger.actors import Actor, Role
from ledger.containers import (
    ContainerDetail,
    ContainerPublic,
    CorrectContainer,
    Packaging,
    VoidContainer,
    correct_container,
    get_container,
    load_container,
    void_container,
)
from ledger.errors import InvalidInput, NotFound
from ledger.identifiers import parse_waste_code, validate_uscc
from ledger.lifecycle import ContainerStatus
from ledger.scope import can_see_container, container_filter, shipment_filter
from ledger.shipments import ShipmentPublic, ShipmentStatus
from ledger.tables import Container, Shipment
from ledger.text import Prose
from ledger.unit_of_work import UnitOfWork

DEFAULT_PAGE = 50
MAX_PAGE = 200


# --- pagination ---------------------------------------------------------------------------------------------


NEXT_CURSOR = "pass it back as `cursor` for the next page; null when there is no more"


def page_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}, not {limit}", field="limit")
    return limit


def encode_cursor(*values: str) -> str:
    """An opaque cursor: the sort key of the last item returned. Clients must not build or parse it."""
    return base64.urlsafe_b64encode(json.dumps(list(values), separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, arity: int) -> list[str]:
    """The sort key inside a cursor, or :class:`InvalidInput` on ``cursor`` for anything we did not issue."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError):
        values = None
    if not (isinstance(values, list) and len(values) == arity and all(isinstance(v, str) for v in values)):
        raise InvalidInput("the cursor is not one this list returned; start again without it", field="cursor")
    return values


# --- containers ---------------------------------------------------------------------------------------------


class ContainerFilters(SQLModel):
    """What to list; every filter narrows the caller's scope, none widens it."""

    status: ContainerStatus | None = None
    category: str | None = Field(default=None, description="HW category, e.g. HW01")
    waste_code: str | None = None
    generator: str | None = None
    plant: str | None = None
    division: str | None = None
    registered_from: date | None = Field(default=None, description="first local day (inclusive)")
    registered_to: date | None = Field(default=None, description="last local day (inclusive)")


class ContainerPage(SQLModel):
    items: list[ContainerPublic]
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR)


class VoidRequest(SQLModel):
    """Why a container is voided (misprinted label, container never used)."""

    reason: Prose = Field(min_length=3, max_length=300)


class CorrectionRequest(SQLModel):
    """A correction of the generator's declared facts, with its reason."""

    reason: Prose = Field(min_length=3, max_length=300)
    weight_kg: Decimal | None = Field(default=None, gt=0, le=50000, max_digits=11, decimal_places=3)
    packaging: Packaging | None = None
    volume_l: Decimal | None = Field(default=None, gt=0, le=5000, max_digits=7, decimal_places=1)


def _unknown(code: str) -> NotFound:
    # Word for word what load_container says about a code never issued: the two cases must not differ.
    return NotFound(f"container {code} is not in the ledger", field="code")


async def _visible(uow: UnitOfWork, code: str, actor: Actor) -> str:
    """The container's normalised code if the actor may see it (read in the caller's unit of work)."""
    row = await load_container(uow, code)
    carrier = None
    if actor.role == Role.TRANSPORTER and row.shipment_number is not None:
        shipment = await uow.session.get(Shipment, row.shipment_number)
        carrier = None if shipment is None else shipment.transporter_uscc
    if not can_see_container(actor, row, uow.catalogue, shipment_transporter=carrier):
        raise _unknown(row.code)
    return row.code


def _local_day_start(uow: UnitOfWork, day: date, *, field: str, days_after: int = 0) -> datetime:
    """The UTC start of a local day; days at the calendar's very edge (year 1, 9999) cannot be one, and are
    refused as the caller's input rather than overflowing into a 500."""
    try:
        return datetime.combine(day + timedelta(days=days_after), time.min, tzinfo=uow.settings.timezone).astimezone(
            UTC
        )
    except OverflowError:
        raise InvalidInput(f"{field} {day.isoformat()} is outside the dates the ledger holds", field=field) from None


async def list_containers(
    uow: UnitOfWork,
    actor: Actor,
    filters: ContainerFilters | None = None,
    *,
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE,
) -> ContainerPage:
    """Containers the actor may see, newest registration first, ``limit`` at a time."""
    filters = filters or ContainerFilters()
    size = page_limit(limit)
    query = select(Container).where(container_filter(actor, uow.catalogue))
    if filters.status is not None:
        query = query.where(col(Container.status) == filters.status.value)
    if filters.category is not None:
        category = filters.category.strip().upper()
        if category not in uow.catalogue.categories:
            raise InvalidInput(f"{filters.category!r} is not an HW category (HW01–HW40, HW45–HW50)", field="category")
        query = query.where(col(Container.category) == category)
    if filters.waste_code is not None:
        query = query.where(col(Container.waste_code) == str(parse_waste_code(filters.waste_code)))
    if filters.generator is not None:
        query = query.where(col(Container.generator_uscc) == validate_uscc(filters.generator, field="generator"))
    if filters.plant is not None:
        query = query.where(col(Container.plant_uscc) == validate_uscc(filters.plant, field="plant"))
    if filters.division is not None:
        query = query.where(col(Container.division) == uow.catalogue.division(filters.division).code)
    if filters.registered_from is not None:
        start = _local_day_start(uow, filters.registered_from, field="registered_from")
        query = query.where(col(Container.registered_at) >= start)
    if filters.registered_to is not None:
        if filters.registered_from is not None and filters.registered_to < filters.registered_from:
            raise InvalidInput("registered_to is before registered_from", field="registered_to")
        end = _local_day_start(uow, filters.registered_to, field="registered_to", days_after=1)
        query = query.where(col(Container.registered_at) < end)
    if cursor is not None:
        moment_text, code = decode_cursor(cursor, 2)
        try:
            moment = datetime.fromisoformat(moment_text)
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            raise InvalidInput("the cursor is not one this list returned; start again without it", field="cursor")
        # Keyset pagination on (registered_at, code), both descending: stable while new containers arrive.
        query = query.where(
            or_(
                col(Container.registered_at) < moment,
                and_(col(Container.registered_at) == moment, col(Container.code) < code),
            )
        )
    query = query.order_by(col(Container.registered_at).desc(), col(Container.code).desc()).limit(size + 1)
    async with uow.read_only():
        rows = list((await uow.session.execute(query)).scalars())
        # Views are built inside the unit of work: leaving it rolls back, which expires the rows.
        items = [ContainerPublic.from_row(row) for row in rows[:size]]
    next_cursor = None
    if len(rows) > size:
        last = items[-1]
        next_cursor = encode_cursor(last.registered_at.isoformat(), last.code)
    return ContainerPage(items=items, next_cursor=next_cursor)


async def get_container_for(uow: UnitOfWork, code: str, actor: Actor) -> ContainerDetail:
    """A container with its history, if the actor may see it; otherwise the same NotFound as an unknown code."""
    async with uow.read_only():
        await _visible(uow, code, actor)
    return await get_container(uow, code)


async def void_container_for(uow: UnitOfWork, code: str, request: VoidRequest, actor: Actor) -> ContainerPublic:
    """Void a container the actor can see (who may void is then the use case's rule)."""
    async with uow:
        visible = await _visible(uow, code, actor)
    return await void_container(uow, VoidContainer(code=visible, reason=request.reason), actor)


async def correct_container_for(
    uow: UnitOfWork, code: str, request: CorrectionRequest, actor: Actor
) -> ContainerPublic:
    """Correct a container the actor can see (a regulator only within its jurisdiction)."""
    async with uow:
        visible = await _visible(uow, code, actor)
    command = CorrectContainer(code=visible, **request.model_dump())
    return await correct_container(uow, command, actor)


# --- shipments ----------------------------------------------------------------------------------------------


class ShipmentPage(SQLModel):
    items: list[ShipmentPublic]
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR)


async def list_shipments(
    uow: UnitOfWork,
    actor: Actor,
    *,
    status: ShipmentStatus | None = None,
    cross_province: bool | None = None,
    division: str | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE,
) -> ShipmentPage:
    """Manifests the actor may see, newest first (keyset pagination on (created_at, number))."""
    size = page_limit(limit)
    query = select(Shipment).where(shipment_filter(actor, uow.catalogue))
    if status is not None:
        query = query.where(col(Shipment.status) == status.value)
    if cross_province is not None:
        query = query.where(col(Shipment.cross_province).is_(cross_province))
    if division is not None:
        code = uow.catalogue.division(division).code
        query = query.where(or_(col(Shipment.origin_division) == code, col(Shipment.destination_division) == code))
    if cursor is not None:
        moment_text, number = decode_cursor(cursor, 2)
        try:
            moment = datetime.fromisoformat(moment_text)
        except ValueError:
            raise InvalidInput(
                "the cursor is not one this list returned; start again without it", field="cursor"
            ) from None
        query = query.where(
            or_(
                col(Shipment.created_at) < moment,
                and_(col(Shipment.created_at) == moment, col(Shipment.number) < number),
            )
        )
    query = query.order_by(col(Shipment.created_at).desc(), col(Shipment.number).desc()).limit(size + 1)
    async with uow.read_only():
        rows = list((await uow.session.execute(query)).scalars())
        items = [ShipmentPublic.from_row(row, uow.settings.timezone) for row in rows[:size]]
    next_cursor = None
    if len(rows) > size:
        next_cursor = encode_cursor(items[-1].created_at.isoformat(), items[-1].number)
    return ShipmentPage(items=items, next_cursor=next_cursor)
