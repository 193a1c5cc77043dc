"""Loading reference and demo organisations and plants from fixtures/ (idempotent: existing ones are kept)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from fixtures.data import load
from ledger.actors import SYSTEM
from ledger.identifiers import validate_uscc
from ledger.plants import record_plant_registered
from ledger.tables import Organisation, Plant, TransferQuota
from ledger.transfers import CreateWhiteListEntry, create_white_list_entry
from ledger.unit_of_work import Database, UnitOfWork

ORGANISATION_KINDS = frozenset({"generator", "transporter", "plant", "regulator"})


@dataclass(frozen=True, slots=True)
class LoadResult:
    organisations: int
    plants: int


async def load_organisations(uow: UnitOfWork, records: list[dict[str, Any]]) -> LoadResult:
    """Insert organisations (and their plant licences) that are not there yet."""
    async with uow:
        existing = set((await uow.session.execute(select(col(Organisation.uscc)))).scalars())
        organisations = plants = 0
        for record in records:
            uscc = validate_uscc(record["uscc"])
            if uscc in existing:
                continue
            uow.catalogue.division(record["division"])
            if record["kind"] not in ORGANISATION_KINDS:
                raise ValueError(f"{uscc}: unknown organisation kind {record['kind']!r}")
            uow.session.add(
                Organisation(
                    uscc=uscc,
                    name_zh=record["name_zh"],
                    name_en=record.get("name_en", ""),
                    kind=record["kind"],
                    division=record["division"],
                    address=record.get("address", ""),
                    contact=record.get("contact", ""),
                    phone=record.get("phone", ""),
                    demo=bool(record.get("demo", False)),
                )
            )
            organisations += 1
            licence = record.get("plant")
            if record["kind"] == "plant" and licence is not None:
                for code in licence["licensed_waste_codes"]:
                    uow.catalogue.waste_type(code, field="licensed_waste_codes")
                for method in licence["licensed_methods"]:
                    if method not in uow.catalogue.methods:
                        raise ValueError(f"{uscc}: unknown method {method}")
                await record_plant_registered(
                    uow,
                    Plant(
                        uscc=uscc,
                        rated_capacity_kg_per_day=int(Decimal(licence["rated_capacity_t_per_day"]) * 1000),
                        emergency=bool(licence.get("emergency", False)),
                        active=bool(licence.get("active", True)),
                        medical=bool(licence.get("medical", False)),
                        licensed_waste_codes=list(licence["licensed_waste_codes"]),
                        licensed_methods=list(licence["licensed_methods"]),
                    ),
                    SYSTEM,
                )
                plants += 1
        await uow.commit()
        return LoadResult(organisations, plants)


async def load_demo_organisations(uow: UnitOfWork) -> LoadResult:
    """The demo organisations of fixtures/demo/organisations.json."""
    records: list[dict[str, Any]] = load("demo/organisations")
    return await load_organisations(uow, records)


async def load_demo_white_list(db: Database) -> int:
    """The demo 川渝 white list (fixtures/demo/white_list.json); entries already there are kept."""
    added = 0
    for record in load("demo/white_list"):
        async with db.uow() as uow:
            if await uow.session.get(TransferQuota, record["id"]) is not None:
                continue
        await create_white_list_entry(
            db.uow(),
            CreateWhiteListEntry(
                id=record["id"],
                year=record["year"],
                origin_province=record["origin_province"],
                destination_province=record["destination_province"],
                receiver=record["receiver_uscc"],
                waste_code=record.get("waste_code"),
                category=record.get("category"),
                quantity_t=Decimal(record["quantity_t"]),
            ),
            SYSTEM,
        )
        added += 1
    return added
