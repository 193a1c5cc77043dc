"""Cross-province transfers: the 川渝 white list and transfer approvals, and the quantities they allow.

A shipment whose origin and destination provinces differ may be dispatched only if a white-list entry or an
approval covers each of its waste codes for the receiving plant on the dispatch date, with enough quantity
left (DOMAIN.md §6). Quantities are consumed at dispatch and reconciled at receipt with the weighed mass.
Each entry is a ``quota:<id>`` stream: concurrent dispatches consuming one quota collide on its version, so
a quota is never overspent.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlmodel import Field, SQLModel, col

from ledger.actors import Actor, Role
from ledger.errors import Forbidden, InvalidInput, NotFound, QuotaExceeded
from ledger.identifiers import PROVINCE_CODES, validate_uscc
from ledger.store import NewEvent, RecordedEvent
from ledger.tables import Organisation, TransferQuota
from ledger.text import Prose
from ledger.unit_of_work import UnitOfWork
from ledger.units import g_to_kg, g_to_t, kg_to_g

#: An approval is valid for 12 months at most (部令第23号 art.27).
APPROVAL_MAX_DAYS = 366


class QuotaKind(StrEnum):
    WHITE_LIST = "white_list"
    APPROVAL = "approval"


def quota_stream(quota_id: str) -> str:
    return f"quota:{quota_id}"


class CreateWhiteListEntry(SQLModel):
    """A line of the yearly white list: receiver × waste (code or category) × quantity."""

    id: str = Field(min_length=3, max_length=40, schema_extra={"pattern": r"^[A-Za-z0-9-]+$"})
    year: int = Field(ge=2020, le=2099)
    origin_province: str = Field(min_length=2, max_length=2)
    destination_province: str = Field(min_length=2, max_length=2)
    receiver: str = Field(min_length=18, max_length=18)
    waste_code: str | None = Field(default=None, max_length=10)
    category: str | None = Field(default=None, schema_extra={"pattern": r"^HW[0-9]{2}$"})
    quantity_t: Decimal = Field(gt=0, le=1_000_000, max_digits=13, decimal_places=3)


class CreateApproval(SQLModel):
    """A transfer approval given by the origin province with the destination province's consent."""

    number: str = Field(min_length=3, max_length=40, schema_extra={"pattern": r"^[A-Za-z0-9-]+$"})
    generator: str = Field(min_length=18, max_length=18)
    receiver: str = Field(min_length=18, max_length=18)
    waste_codes: list[str] = Field(min_length=1, max_length=50)
    method: str | None = Field(default=None, max_length=4)
    quantity_t: Decimal = Field(gt=0, le=1_000_000, max_digits=13, decimal_places=3)
    valid_from: date
    valid_to: date


class AmendQuota(SQLModel):
    """A new version of an entry or approval: a changed quantity or validity, with the reason."""

    quantity_t: Decimal | None = Field(default=None, gt=0, le=1_000_000, max_digits=13, decimal_places=3)
    valid_to: date | None = None
    reason: Prose = Field(min_length=3, max_length=300)


class QuotaPublic(SQLModel):
    """An entry or approval with its usage: listed, used, remaining."""

    id: str
    kind: QuotaKind
    origin_province: str
    destination_province: str
    receiver: str
    generator: str | None
    waste_codes: list[str]
    category: str | None
    method: str | None
    listed_t: Decimal
    used_t: Decimal
    remaining_t: Decimal
    valid_from: date
    valid_to: date
    revoked: bool
    version: int

    @classmethod
    def from_row(cls, row: TransferQuota) -> QuotaPublic:
        return cls(
            id=row.id,
            kind=QuotaKind(row.kind),
            origin_province=row.origin_province,
            destination_province=row.destination_province,
            receiver=row.receiver_uscc,
            generator=row.generator_uscc,
            waste_codes=list(row.waste_codes),
            category=row.category,
            method=row.method,
            listed_t=g_to_t(row.quantity_g),
            used_t=g_to_t(row.used_g),
            remaining_t=g_to_t(row.quantity_g - row.used_g),
            valid_from=row.valid_from,
            valid_to=row.valid_to,
            revoked=row.revoked,
            version=row.version,
        )


def evolve_quota(state: TransferQuota | None, event: RecordedEvent) -> TransferQuota:
    """Fold one ``quota.*`` event into the entry's state."""
    p = event.payload
    if event.type == "quota.created":
        state = TransferQuota(
            id=p["id"],
            kind=p["kind"],
            origin_province=p["origin_province"],
            destination_province=p["destination_province"],
            receiver_uscc=p["receiver"],
            generator_uscc=p.get("generator"),
            waste_codes=list(p["waste_codes"]),
            category=p.get("category"),
            method=p.get("method"),
            quantity_g=kg_to_g(p["quantity_kg"]),
            used_g=0,
            valid_from=date.fromisoformat(p["valid_from"]),
            valid_to=date.fromisoformat(p["valid_to"]),
            version=0,
        )
    assert state is not None, f"{event.type} before quota.created"
    match event.type:
        case "quota.amended":
            if "quantity_kg" in p:
                state.quantity_g = kg_to_g(p["quantity_kg"])
            if "valid_to" in p:
                state.valid_to = date.fromisoformat(p["valid_to"])
        case "quota.revoked":
            state.revoked = True
        case "quota.consumed" | "quota.reconciled":
            state.used_g += kg_to_g(p["quantity_kg"])
    state.version = event.version
    return state


async def _append(
    uow: UnitOfWork, row: TransferQuota | None, quota_id: str, event_type: str, payload: dict[str, Any], actor: Actor
) -> TransferQuota:
    expected = 0 if row is None else row.version
    [event] = await uow.events.append(
        quota_stream(quota_id),
        expected,
        [NewEvent(event_type, payload, uow.now())],
        actor=actor,
        recorded_at=uow.now(),
    )
    updated = evolve_quota(row, event)
    if row is None:
        uow.session.add(updated)
    return updated


def _require_provincial_regulator(actor: Actor, provinces: set[str]) -> None:
    """White lists and approvals are the provinces' business: a regulator of the origin or destination province
    (jurisdiction ``xx0000``), or an admin."""
    if actor.is_privileged:
        return
    if (
        actor.role == Role.REGULATOR
        and actor.jurisdiction is not None
        and actor.jurisdiction.endswith("0000")
        and actor.jurisdiction[:2] in provinces
    ):
        return
    raise Forbidden(
        "only a provincial regulator of the origin or destination province manages transfer quotas",
        field="origin_province",
    )


async def _plant(uow: UnitOfWork, uscc: str, field: str) -> Organisation:
    org = await uow.session.get(Organisation, validate_uscc(uscc, field=field))
    if org is None or org.kind != "plant":
        raise InvalidInput(f"{uscc} is not a registered disposal plant", field=field)
    return org


async def create_white_list_entry(uow: UnitOfWork, command: CreateWhiteListEntry, actor: Actor) -> QuotaPublic:
    """List a receiver × waste × quantity for a year on the white list."""
    async with uow:
        for name in ("origin_province", "destination_province"):
            if getattr(command, name) not in PROVINCE_CODES:
                raise InvalidInput(f"{getattr(command, name)} is not a GB/T 2260 province code", field=name)
        if command.origin_province == command.destination_province:
            raise InvalidInput(
                "a white-list entry is for transfers between two provinces", field="destination_province"
            )
        _require_provincial_regulator(actor, {command.origin_province, command.destination_province})
        if (command.waste_code is None) == (command.category is None):
            raise InvalidInput("name either a waste_code or a category", field="waste_code")
        codes: list[str] = []
        if command.waste_code is not None:
            codes = [uow.catalogue.waste_type(command.waste_code).code]
        elif command.category not in uow.catalogue.categories:
            raise InvalidInput(f"category {command.category} does not exist", field="category")
        receiver = await _plant(uow, command.receiver, "receiver")
        if uow.catalogue.province_of(receiver.division) != command.destination_province:
            raise InvalidInput(
                f"receiver {receiver.uscc} is not in province {command.destination_province}", field="receiver"
            )
        await _refuse_existing(uow, command.id, "id")
        row = await _append(
            uow,
            None,
            command.id,
            "quota.created",
            {
                "id": command.id,
                "kind": QuotaKind.WHITE_LIST,
                "year": command.year,
                "origin_province": command.origin_province,
                "destination_province": command.destination_province,
                "receiver": receiver.uscc,
                "waste_codes": codes,
                "category": command.category,
                "quantity_kg": command.quantity_t * 1000,
                "valid_from": date(command.year, 1, 1).isoformat(),
                "valid_to": date(command.year, 12, 31).isoformat(),
            },
            actor,
        )
        view = QuotaPublic.from_row(row)
        await uow.commit()
        return view


async def create_approval(uow: UnitOfWork, command: CreateApproval, actor: Actor) -> QuotaPublic:
    """Record a transfer approval (valid 12 months at most)."""
    async with uow:
        generator = await uow.session.get(Organisation, validate_uscc(command.generator, field="generator"))
        if generator is None or generator.kind != "generator":
            raise InvalidInput(f"{command.generator} is not a registered generating unit", field="generator")
        receiver = await _plant(uow, command.receiver, "receiver")
        origin = uow.catalogue.province_of(generator.division)
        destination = uow.catalogue.province_of(receiver.division)
        if origin == destination:
            raise InvalidInput(
                "generator and receiver are in the same province: no approval is needed", field="receiver"
            )
        _require_provincial_regulator(actor, {origin, destination})
        if command.valid_to < command.valid_from:
            raise InvalidInput("valid_to is before valid_from", field="valid_to")
        if (command.valid_to - command.valid_from).days >= APPROVAL_MAX_DAYS:
            raise InvalidInput("an approval is valid for 12 months at most", field="valid_to")
        codes = sorted({uow.catalogue.waste_type(code, field="waste_codes").code for code in command.waste_codes})
        if command.method is not None:
            for code in codes:
                uow.catalogue.method(command.method, waste=uow.catalogue.waste_type(code))
        await _refuse_existing(uow, command.number, "number")
        row = await _append(
            uow,
            None,
            command.number,
            "quota.created",
            {
                "id": command.number,
                "kind": QuotaKind.APPROVAL,
                "origin_province": origin,
                "destination_province": destination,
                "receiver": receiver.uscc,
                "generator": generator.uscc,
                "waste_codes": codes,
                "method": command.method,
                "quantity_kg": command.quantity_t * 1000,
                "valid_from": command.valid_from.isoformat(),
                "valid_to": command.valid_to.isoformat(),
            },
            actor,
        )
        view = QuotaPublic.from_row(row)
        await uow.commit()
        return view


async def _refuse_existing(uow: UnitOfWork, quota_id: str, field: str) -> None:
    if await uow.session.get(TransferQuota, quota_id) is not None:
        raise InvalidInput(f"{quota_id} already exists; amend it instead", field=field)


async def _load(uow: UnitOfWork, quota_id: str) -> TransferQuota:
    row = await uow.session.get(TransferQuota, quota_id)
    if row is None:
        raise NotFound(f"no white-list entry or approval {quota_id}", field="id")
    return row


async def amend_quota(uow: UnitOfWork, quota_id: str, command: AmendQuota, actor: Actor) -> QuotaPublic:
    """A new version of an entry: quantity or end of validity; the old version stays in its history."""
    async with uow:
        row = await _load(uow, quota_id)
        _require_provincial_regulator(actor, {row.origin_province, row.destination_province})
        if row.revoked:
            raise InvalidInput(f"{quota_id} is revoked", field="id")
        payload: dict[str, Any] = {"reason": command.reason}
        if command.quantity_t is not None:
            if kg_to_g(command.quantity_t * 1000) < row.used_g:
                raise InvalidInput(f"{quota_id} has already used {g_to_t(row.used_g)} t", field="quantity_t")
            payload["quantity_kg"] = command.quantity_t * 1000
        if command.valid_to is not None:
            if command.valid_to < row.valid_from:
                raise InvalidInput("valid_to is before valid_from", field="valid_to")
            if row.kind == QuotaKind.APPROVAL and (command.valid_to - row.valid_from).days >= APPROVAL_MAX_DAYS:
                raise InvalidInput("an approval is valid for 12 months at most", field="valid_to")
            payload["valid_to"] = command.valid_to.isoformat()
        if len(payload) == 1:
            raise InvalidInput("an amendment changes quantity_t or valid_to", field="quantity_t")
        row = await _append(uow, row, quota_id, "quota.amended", payload, actor)
        view = QuotaPublic.from_row(row)
        await uow.commit()
        return view


async def revoke_quota(uow: UnitOfWork, quota_id: str, reason: str, actor: Actor) -> QuotaPublic:
    async with uow:
        row = await _load(uow, quota_id)
        _require_provincial_regulator(actor, {row.origin_province, row.destination_province})
        row = await _append(uow, row, quota_id, "quota.revoked", {"reason": reason}, actor)
        view = QuotaPublic.from_row(row)
        await uow.commit()
        return view


async def list_quotas(uow: UnitOfWork, *, receiver: str | None = None) -> list[QuotaPublic]:
    """White-list entries and approvals with listed, used and remaining quantities."""
    async with uow.read_only():
        query = select(TransferQuota).order_by(col(TransferQuota.kind), col(TransferQuota.id))
        if receiver is not None:
            query = query.where(col(TransferQuota.receiver_uscc) == receiver)
        return [QuotaPublic.from_row(row) for row in (await uow.session.execute(query)).scalars()]


# --- used by shipments, inside their unit of work ---------------------------------------------------------


def covers(
    row: TransferQuota,
    *,
    origin: str,
    destination: str,
    receiver: str,
    generator: str,
    waste_code: str,
    category: str,
    on: date,
) -> bool:
    """Does this entry cover one waste code of one shipment on a date (ignoring quantity)?"""
    return (
        not row.revoked
        and row.origin_province == origin
        and row.destination_province == destination
        and row.receiver_uscc == receiver
        and (row.generator_uscc is None or row.generator_uscc == generator)
        and (waste_code in row.waste_codes or (row.category is not None and row.category == category))
        and row.valid_from <= on <= row.valid_to
    )


async def consume(
    uow: UnitOfWork,
    *,
    shipment: str,
    origin: str,
    destination: str,
    receiver: str,
    generator: str,
    needs_g: dict[str, int],
    on: date,
    actor: Actor,
) -> list[dict[str, Any]]:
    """Consume quantity for each waste code of a dispatch; the white list first, then approvals.

    Refuses with :class:`QuotaExceeded` naming the entry, what remains and what was asked for, or with
    :class:`Forbidden` when nothing covers a waste code at all.
    """
    candidates = list(
        (
            await uow.session.execute(
                select(TransferQuota)
                .where(col(TransferQuota.receiver_uscc) == receiver, col(TransferQuota.revoked).is_(False))
                .order_by(col(TransferQuota.kind).desc(), col(TransferQuota.valid_to), col(TransferQuota.id))
            )
        ).scalars()
    )
    basis: list[dict[str, Any]] = []
    for waste_code, grams in sorted(needs_g.items()):
        category = uow.catalogue.waste_type(waste_code).category
        matching = [
            row
            for row in candidates
            if covers(
                row,
                origin=origin,
                destination=destination,
                receiver=receiver,
                generator=generator,
                waste_code=waste_code,
                category=category,
                on=on,
            )
        ]
        if not matching:
            raise Forbidden(
                f"no white-list entry or transfer approval covers {waste_code} from province {origin} to {receiver}"
                f" in province {destination} on {on}: cross-province transfers need one",
                field="receiver",
            )
        chosen = next((row for row in matching if row.quantity_g - row.used_g >= grams), None)
        if chosen is None:
            best = max(matching, key=lambda row: row.quantity_g - row.used_g)
            raise QuotaExceeded(
                f"{'white-list entry' if best.kind == QuotaKind.WHITE_LIST else 'approval'} {best.id} has"
                f" {g_to_t(best.quantity_g - best.used_g)} t of {waste_code} left; this shipment needs"
                f" {g_to_t(grams)} t",
                field="containers",
                entry=best.id,
                remaining_t=str(g_to_t(best.quantity_g - best.used_g)),
                requested_t=str(g_to_t(grams)),
            )
        await _append(
            uow,
            chosen,
            chosen.id,
            "quota.consumed",
            {"shipment": shipment, "waste_code": waste_code, "quantity_kg": g_to_kg(grams)},
            actor,
        )
        basis.append(
            {"kind": chosen.kind, "id": chosen.id, "waste_code": waste_code, "consumed_kg": str(g_to_kg(grams))}
        )
    return basis


async def reconcile(
    uow: UnitOfWork, *, shipment: str, basis: list[dict[str, Any]], received_g: dict[str, int], actor: Actor
) -> list[dict[str, Any]]:
    """Replace the quantities consumed at dispatch with the masses accepted at receipt."""
    reconciled = []
    for line in basis:
        row = await _load(uow, line["id"])
        delta = received_g.get(line["waste_code"], 0) - kg_to_g(line["consumed_kg"])
        if delta:
            await _append(
                uow,
                row,
                row.id,
                "quota.reconciled",
                {"shipment": shipment, "waste_code": line["waste_code"], "quantity_kg": g_to_kg(delta)},
                actor,
            )
        reconciled.append({**line, "accepted_kg": str(g_to_kg(received_g.get(line["waste_code"], 0)))})
    return reconciled


def local_date(uow: UnitOfWork, moment: datetime) -> date:
    return moment.astimezone(uow.settings.timezone).date()
