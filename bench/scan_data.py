"""Real containers for the scan benchmarks, prepared through the ledger's own services.

Every container is registered by its hospital, listed on a manifest to the Tongxing plant, signed, dispatched
and delivered, exactly as in production; a receive scan of it is then real work that can happen only once. The
containers are spread over hospitals, waste codes and packing days so that the 999-per-day sequences never run
out and concurrent registrations seldom wait on the same sequence row.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from ledger.actors import Actor, Role
from ledger.config import Settings
from ledger.containers import Packaging, RegisterContainer, register_container
from ledger.shipments import CreateShipment, Dispatch, create_shipment, deliver, dispatch, sign_as_generator
from ledger.unit_of_work import Database

#: Hospitals whose waste goes to Tongxing with the central-city carrier (demo data).
HOSPITALS = (
    "12500103459578017X",
    "12500106591932773W",
    "12500112359825279N",
    "91500109MA5UXN1A40",
    "91500107MA5ULYYD3U",
)
MEDICAL_CODES = ("841-001-01", "841-002-01", "841-003-01", "841-004-01", "841-005-01")
TONGXING = "9150010919411841XQ"
CENTRAL_CARRIER = "91500112MA5U4GME30"
#: Packing days used: today and up to 12 days back (the ledger accepts 14).
DAYS_BACK = 13
#: Containers per manifest: a large hospital's day, and a manifest the plant's scanner reads often.
PER_SHIPMENT = 200
#: The receiving plant's user in the demo data (the wrk script scans as this user).
PLANT_USER = "tongxing.operator"
CARRIER = Actor(org=CENTRAL_CARRIER, user="central.transporter", role=Role.TRANSPORTER)


@dataclass(frozen=True)
class Receivable:
    shipment: str
    code: str
    weight_kg: str

    def line(self) -> str:
        return f"{self.shipment} {self.code} {self.weight_kg}"


def _hospital(uscc: str) -> Actor:
    return Actor(org=uscc, user="bench.generator", role=Role.GENERATOR)


async def _register(db: Database, n: int, concurrency: int, rng: random.Random) -> dict[str, list[tuple[str, str]]]:
    """Register ``n`` containers; returns (code, declared kg) per hospital."""
    slots = [(h, c, d) for d in range(DAYS_BACK) for h in HOSPITALS for c in MEDICAL_CODES]
    per_slot = -(-n // len(slots))
    if per_slot > 990:
        raise ValueError(f"{n} containers exceed what {len(slots)} sequence scopes hold")
    queue: asyncio.Queue[tuple[str, str, int]] = asyncio.Queue()
    for index in range(n):
        hospital, code, days = slots[index % len(slots)]
        queue.put_nowait((hospital, code, days))
    made: dict[str, list[tuple[str, str]]] = {h: [] for h in HOSPITALS}
    now = db.clock()

    async def worker() -> None:
        while not queue.empty():
            hospital, waste, days = queue.get_nowait()
            kg = f"{rng.uniform(0.5, 12):.3f}"
            command = RegisterContainer(
                generator=hospital,
                waste_code=waste,
                weight_kg=Decimal(kg),
                packaging=Packaging.BAG,
                volume_l=Decimal(30),
                packed_at=now - timedelta(days=days, minutes=5),
            )
            view = await register_container(db.uow(), command, _hospital(hospital))
            made[hospital].append((view.code, kg))

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return made


async def _ship(db: Database, hospital: str, batch: Sequence[tuple[str, str]]) -> list[Receivable]:
    generator = _hospital(hospital)
    manifest = await create_shipment(
        db.uow(),
        CreateShipment(
            generator=hospital,
            transporter=CENTRAL_CARRIER,
            receiver=TONGXING,
            containers=[code for code, _ in batch],
            emergency_measures="泄漏时用含氯消毒剂覆盖，通知处置单位",
        ),
        generator,
    )
    await sign_as_generator(db.uow(), manifest.number, generator)
    await dispatch(
        db.uow(),
        manifest.number,
        Dispatch(vehicle_plate="渝A12345", transport_licence="渝交运管许可字500112001号", driver="李师傅"),
        CARRIER,
    )
    await deliver(db.uow(), manifest.number, CARRIER)
    return [Receivable(manifest.number, code, kg) for code, kg in batch]


async def prepare_receivables(
    url: str, n: int, *, concurrency: int = 8, seed: int = 2020, per_shipment: int = PER_SHIPMENT
) -> list[Receivable]:
    """``n`` containers delivered to Tongxing and waiting to be scanned, in an order that interleaves manifests."""
    db = Database(Settings(database_url=url))
    try:
        return await receivables(db, n, concurrency=concurrency, seed=seed, per_shipment=per_shipment)
    finally:
        await db.dispose()


async def receivables(
    db: Database, n: int, *, concurrency: int = 8, seed: int = 2020, per_shipment: int = PER_SHIPMENT
) -> list[Receivable]:
    """:func:`prepare_receivables` through a given database handle (and so its clock)."""
    made = await _register(db, n, concurrency, random.Random(seed))
    jobs = [
        (hospital, codes[i : i + per_shipment])
        for hospital, codes in made.items()
        for i in range(0, len(codes), per_shipment)
    ]
    semaphore = asyncio.Semaphore(max(1, concurrency // 2))

    async def ship(hospital: str, batch: Sequence[tuple[str, str]]) -> list[Receivable]:
        async with semaphore:
            return await _ship(db, hospital, batch)

    shipped = await asyncio.gather(*(ship(h, b) for h, b in jobs))
    # Round-robin over manifests: consecutive scans, like several gates, touch different manifests.
    out: list[Receivable] = []
    longest = max((len(s) for s in shipped), default=0)
    for i in range(longest):
        out.extend(s[i] for s in shipped if i < len(s))
    return out


def write_items(items: Sequence[Receivable], path: Path) -> Path:
    path.write_text("".join(item.line() + "\n" for item in items), encoding="ascii")
    return path
