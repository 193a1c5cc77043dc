"""What the public may see: a label's verification page and a printed manifest's check.

A phone that scans a label learns the waste category, the status, the plant it went to, the dates and whether
the ledger's chain verifies for this container — never weights, people, or anything a competitor could
harvest across containers.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import SQLModel

from ledger.canonical import GENESIS_HASH
from ledger.containers import load_container
from ledger.errors import NotFound
from ledger.identifiers import parse_manifest_number
from ledger.shipments import load_shipment, shipment_detail
from ledger.store import RecordedEvent
from ledger.tables import Organisation
from ledger.unit_of_work import UnitOfWork


class PublicContainer(SQLModel):
    code: str
    category: str
    category_name_zh: str
    category_name_en: str
    waste_code: str
    waste_name_zh: str
    medical: bool
    status: str
    packed_on: date
    generator_division: str
    plant_name_zh: str | None
    plant_name_en: str | None
    collected_on: date | None
    received_on: date | None
    disposed_on: date | None
    method: str | None
    events: int
    chain_verifies: bool


class ManifestCheck(SQLModel):
    number: str
    matches: bool
    """The printed content hash equals the manifest's content hash now."""
    status: str
    checked_at: datetime


def chain_verifies(events: list[RecordedEvent]) -> bool:
    """One stream's chain: versions 1…n, each hash recomputed, each linked to the previous one."""
    previous = GENESIS_HASH
    for version, event in enumerate(events, start=1):
        if event.version != version or event.prev_hash != previous or event.recompute_hash() != event.hash:
            return False
        previous = event.hash
    return True


async def public_container(uow: UnitOfWork, code: str) -> PublicContainer:
    """The public view of one container (for ``/v/<code>``)."""
    async with uow.read_only():
        row = await load_container(uow, code)
        events = await uow.events.read(row.code)
        waste = uow.catalogue.waste_type(row.waste_code)
        category = uow.catalogue.categories[row.category]
        plant = None if row.plant_uscc is None else await uow.session.get(Organisation, row.plant_uscc)
        tz = uow.settings.timezone

        def local(moment: datetime | None) -> date | None:
            return None if moment is None else moment.astimezone(tz).date()

        return PublicContainer(
            code=row.code,
            category=row.category,
            category_name_zh=category.name_zh,
            category_name_en=category.name_en,
            waste_code=row.waste_code,
            waste_name_zh=waste.name_zh,
            medical=row.medical,
            status=row.status,
            packed_on=row.packed_on,
            generator_division=row.division,
            plant_name_zh=None if plant is None else plant.name_zh,
            plant_name_en=None if plant is None else plant.name_en,
            collected_on=local(row.collected_at),
            received_on=local(row.received_at),
            disposed_on=local(row.disposed_at),
            method=row.method,
            events=len(events),
            chain_verifies=chain_verifies(events),
        )


async def check_manifest(uow: UnitOfWork, number: str, printed_hash: str) -> ManifestCheck:
    """Does a printed manifest (its QR's ``h``) still match the ledger?"""
    async with uow.read_only():
        parsed = parse_manifest_number(number)
        try:
            row = await load_shipment(uow, str(parsed))
        except NotFound:
            raise NotFound(f"manifest {parsed} is not in the ledger", field="number") from None
        detail = await shipment_detail(uow, row)
        return ManifestCheck(
            number=row.number,
            matches=printed_hash.strip().lower() == detail.content_hash,
            status=row.status,
            checked_at=uow.now(),
        )
