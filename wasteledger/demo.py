"""Demo data beyond the organisations: containers at the demo hospitals, registered through the services."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlmodel import col

from ledger.actors import SYSTEM
from ledger.containers import Packaging, RegisterContainer, register_container
from ledger.tables import Container, Organisation
from ledger.unit_of_work import Database

#: (waste code, packaging, litres, kg) packed by every demo hospital this morning.
MORNING_ROUND = (
    ("841-001-01", Packaging.BAG, Decimal("30"), Decimal("6.200")),
    ("841-001-01", Packaging.BAG, Decimal("30"), Decimal("5.850")),
    ("841-002-01", Packaging.SHARPS_BOX, Decimal("4"), Decimal("1.300")),
    ("841-003-01", Packaging.BOX, Decimal("20"), Decimal("3.400")),
    ("841-005-01", Packaging.BOX, Decimal("20"), Decimal("2.150")),
)


async def load_demo(db: Database) -> str:
    """Register the demo containers once (skipped when the ledger already holds containers)."""
    async with db.uow() as uow:
        existing = (await uow.session.execute(select(func.count()).select_from(Container))).scalar_one()
        hospitals = list(
            (
                await uow.session.execute(
                    select(col(Organisation.uscc))
                    .where(col(Organisation.kind) == "generator", col(Organisation.demo).is_(True))
                    .where(col(Organisation.name_en).contains("Hospital"))
                    .order_by(col(Organisation.uscc))
                )
            ).scalars()
        )
    if existing:
        return f"demo containers: {existing} already in the ledger, none added"
    start = db.clock() - timedelta(hours=2)
    added = 0
    for hospital in hospitals:
        for offset, (code, packaging, litres, kg) in enumerate(MORNING_ROUND):
            await register_container(
                db.uow(),
                RegisterContainer(
                    generator=hospital,
                    waste_code=code,
                    weight_kg=kg,
                    packaging=packaging,
                    volume_l=litres,
                    packed_at=start + timedelta(minutes=10 * offset),
                ),
                SYSTEM,
            )
            added += 1
    return f"demo containers: {added} registered at {len(hospitals)} hospitals"
