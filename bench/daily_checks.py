"""Daily-clearing and plant-load checks at 100k and 1M containers: their cost must follow the open containers,
not the history.

    python -m bench.daily_checks [--sizes 100000,1000000] [--url postgresql+asyncpg://postgres@127.0.0.1/test]
                                 [--repeat 5] [--keep]

For each size a fresh PostgreSQL database is migrated, loaded with the demo organisations, and filled by COPY
with a year-like history: every container with its events (registered, collected, received, disposed: hash
chained exactly as the ledger chains them), its projection row, and one manifest per generator and day with its
events. The daily volume is the same at every size, so 1M containers is ten times the history of 100k with the
same number of open containers (today's, yesterday's not yet burnt, a fixed set of stragglers, slower
hazardous-waste rounds). A sample of streams is then re-verified (hashes, chains, fold == projection).

Then each check is timed (median of ``--repeat``), next to a baseline that computes similar figures over
every medical container ever registered: the checks should stay flat from 100k to 1M, the baseline grow.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import platform
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url

from ledger.actors import SYSTEM
from ledger.canonical import GENESIS_HASH, event_hash, utc_text
from ledger.config import Settings
from ledger.identifiers import ContainerCode, ManifestNumber, manifest_city_digits, parse_waste_code
from ledger.lifecycle import fold
from ledger.migrate import migrate
from ledger.monitoring.clearing import check_daily_clearing, daily_clearing
from ledger.monitoring.plant_load import check_plant_load, plant_load
from ledger.reference import load_demo_organisations
from ledger.shipments import evolve_shipment
from ledger.store import RecordedEvent
from ledger.unit_of_work import Database

TZ = ZoneInfo("Asia/Shanghai")
#: The benchmark's "now": 10:00 in Chongqing, as in the tests.
NOW = datetime(2026, 12, 4, 10, 0, tzinfo=TZ).astimezone(UTC)
#: Containers packed per full day (the city's medical and hazardous waste, demo volume).
DAILY = 2740
#: Containers stuck at their generator somewhere in the history: the same number at every size.
STRAGGLERS = 200
DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"

# Medical generators → (plant, transporter, share of the day's medical waste). Plants by district (demo).
MEDICAL: dict[str, tuple[str, str, int]] = {
    "12500103459578017X": ("9150010919411841XQ", "91500112MA5U4GME30", 20),  # Yuzhong → Tongxing
    "12500106591932773W": ("9150010919411841XQ", "91500112MA5U4GME30", 15),  # Shapingba → Tongxing
    "12500112359825279N": ("9150010919411841XQ", "91500112MA5U4GME30", 15),  # Yubei → Tongxing
    "125001014194118615": ("91500101MA5UT55FXK", "91500101MA5UFN7Y0A", 12),  # Wanzhou → Wanzhou
    "12500102524795270G": ("91500102MA5UMG963P", "91500112MA5U4GME30", 10),  # Fuling → Fuling
    "12500155255421907Y": ("91500101MA5UT55FXK", "91500101MA5UFN7Y0A", 6),  # Liangping → Wanzhou
    "125001143798755564": ("91500114MA5U45Y21X", "91500112MA5U4GME30", 6),  # Qianjiang → Qianjiang
    "91500109MA5UXN1A40": ("9150010919411841XQ", "91500112MA5U4GME30", 4),  # Beibei clinic → Tongxing
    "91500237MA5UYU4E0B": ("91500101MA5UT55FXK", "91500101MA5UFN7Y0A", 4),  # Wushan clinic → Wanzhou
    "91500107MA5ULYYD3U": ("9150010919411841XQ", "91500112MA5U4GME30", 8),  # Jiulongpo clinic → Tongxing
}
MEDICAL_CODES = [("841-001-01", 70), ("841-002-01", 20), ("841-003-01", 4), ("841-004-01", 3), ("841-005-01", 3)]
HAZARDOUS_PLANT = "91500115MA5UF10G9H"
HAZMAT_TRANSPORTER = "91500107MA5U52G75X"
# Factories → waste codes (all licensed at the Changshou hazardous-waste plant).
FACTORIES: dict[str, list[str]] = {
    "91500107MA5U6MB49U": ["900-052-31", "900-214-08", "900-041-49"],
    "91500112MA5U1DFY81": ["900-045-49", "900-041-49"],
    "91500108MA5UA9DEX6": ["900-023-29"],
    "91500106MA5UQ4BB6U": ["900-249-08", "336-064-17"],
    "91500110MA5U3P6N44": ["900-052-31", "900-214-08"],
}
#: Share of the daily volume that is not medical; collected in weekly rounds, so more of it is open at a time.
HAZARDOUS_SHARE = 0.10

EVENT_COLUMNS = [
    "stream",
    "version",
    "type",
    "occurred_at",
    "recorded_at",
    "actor_org",
    "actor_user",
    "payload",
    "prev_hash",
    "hash",
]
CONTAINER_COLUMNS = [
    "code",
    "generator_uscc",
    "division",
    "waste_code",
    "category",
    "medical",
    "status",
    "custodian_uscc",
    "weight_g",
    "received_weight_g",
    "packaging",
    "volume_ml",
    "form",
    "packed_on",
    "registered_at",
    "collected_at",
    "received_at",
    "disposed_at",
    "voided_at",
    "shipment_number",
    "plant_uscc",
    "method",
    "labelled",
    "version",
]
SHIPMENT_COLUMNS = [
    "number",
    "trip_id",
    "previous_shipment",
    "generator_uscc",
    "transporter_uscc",
    "receiver_uscc",
    "origin_division",
    "destination_division",
    "cross_province",
    "vehicle_plate",
    "transport_licence",
    "driver",
    "route_start",
    "route_end",
    "emergency_measures",
    "container_codes",
    "waste_codes",
    "declared_g",
    "status",
    "signatures",
    "transfer_basis",
    "receipt",
    "corrections",
    "created_at",
    "dispatched_at",
    "delivered_at",
    "received_at",
    "closed_at",
    "version",
]


def kg(grams: int) -> str:
    """Kilograms as the canonical encoding writes a Decimal (normalised, no exponent): the payload is built from
    plain strings, so json.dumps needs no fallback and the bytes equal ``canonical_json``'s."""
    return format((Decimal(grams) / 1000).normalize(), "f")


def _q(value: str | None) -> str:
    # Every string in an event header here is ASCII without quotes or backslashes (codes, USCCs, user names).
    return "null" if value is None else f'"{value}"'


def fast_event_hash(
    stream: str,
    version: int,
    type_: str,
    occurred: str,
    recorded: str,
    org: str | None,
    user: str | None,
    payload: str,
    prev: str,
) -> str:
    """``ledger.canonical.event_hash`` without the generic encoder: the same header bytes, written directly
    (keys in sorted order). ``check_sample`` recomputes a sample with the ledger's own function."""
    header = (
        f'{{"actor_org":{_q(org)},"actor_user":{_q(user)},"occurred_at":"{occurred}","prev_hash":"{prev}",'
        f'"recorded_at":"{recorded}","stream":"{stream}","type":"{type_}","version":{version}}}'
    )
    return hashlib.sha256((header + "\n" + payload).encode()).hexdigest()


def _dumps(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass
class Stream:
    """Events of one stream being built: versions 1…n, each hash chained to the previous one."""

    name: str
    rows: list[tuple[Any, ...]]
    version: int = 0
    prev: str = GENESIS_HASH
    own: list[tuple[Any, ...]] = field(default_factory=list)

    def add(self, type_: str, payload: dict[str, Any], at: datetime, org: str | None, user: str | None) -> None:
        self.version += 1
        text_payload = _dumps(payload)
        # The ledger records a scan a moment after it happened.
        recorded = at + timedelta(seconds=1)
        digest = fast_event_hash(
            self.name, self.version, type_, utc_text(at), utc_text(recorded), org, user, text_payload, self.prev
        )
        row = (self.name, self.version, type_, at, recorded, org, user, text_payload, self.prev, digest)
        self.rows.append(row)
        self.own.append(row)
        self.prev = digest


@dataclass
class Planned:
    """A container's facts and the times of its steps (None: not happened by NOW)."""

    code: str
    generator: str
    division: str
    waste_code: str
    medical: bool
    weight_g: int
    received_g: int
    registered: datetime
    plant: str
    transporter: str
    method: str
    disposed_after: timedelta


@dataclass
class Batch:
    events: list[tuple[Any, ...]] = field(default_factory=list)
    containers: list[tuple[Any, ...]] = field(default_factory=list)
    shipments: list[tuple[Any, ...]] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DayPlan:
    day: date
    count: int
    stuck: frozenset[int]
    """Positions (in the day's order) of the containers that never leave their generator."""


def plan_days(size: int, seed: int = 2020) -> list[DayPlan]:
    """How many containers each day of the history gets (the same ``DAILY`` volume whatever the size)."""
    today = NOW.astimezone(TZ).date()
    days = max(1, round((size - DAILY * _window_share(today)) / DAILY) + 1)
    first = today - timedelta(days=days - 1)
    rnd = random.Random(seed)
    # A fixed number of stragglers, spread over the history (not in the last two days: those are just open).
    stuck: dict[int, set[int]] = defaultdict(set)
    for _ in range(STRAGGLERS):
        stuck[rnd.randrange(max(1, days - 2))].add(rnd.randrange(DAILY // 3))
    # Filled from today backwards, so every size has the same recent days (and open containers); only the
    # oldest day may be partial.
    plans, left = [], size
    for offset in range(days - 1, -1, -1):
        day = first + timedelta(days=offset)
        count = min(round(DAILY * _window_share(day)), left)
        left -= count
        plans.append(DayPlan(day, count, frozenset(stuck.get(offset, set()))))
    plans.reverse()
    return plans


def _window_share(day: date) -> float:
    """Containers are packed 06:00–16:00; on NOW's day only until NOW."""
    start = datetime(day.year, day.month, day.day, 6, tzinfo=TZ)
    end = min(start + timedelta(hours=10), NOW.astimezone(TZ))
    return max(0.0, (end - start) / timedelta(hours=10))


_GENERATORS = sorted([*MEDICAL, *FACTORIES])


def build_day(plan: DayPlan, divisions: dict[str, str], seed: int = 2020) -> Batch:
    """Every row written for one day of packing: a pure function of the day, so days build in parallel."""
    return Generator(plan, divisions, seed).batch()


class Generator:
    """Plans and writes one day of the history."""

    def __init__(self, plan: DayPlan, divisions: dict[str, str], seed: int) -> None:
        self.plan = plan
        self.divisions = divisions
        self.random = random.Random(seed * 1_000_003 + plan.day.toordinal())
        self.container_serials: dict[str, int] = defaultdict(int)
        self.manifest_serials: dict[str, int] = {}

    def _code(self, generator: str, waste_code: str, day: date) -> str:
        code = ContainerCode(generator, parse_waste_code(waste_code), day, 1)
        scope = code.sequence_scope
        self.container_serials[scope] += 1
        return str(ContainerCode(generator, code.waste, day, self.container_serials[scope]))

    def _plan_day(self) -> list[Planned]:
        day = self.plan.day
        start = datetime(day.year, day.month, day.day, 6, tzinfo=TZ).astimezone(UTC)
        span = (min(start + timedelta(hours=10), NOW) - start).total_seconds()
        rnd = self.random
        medical_gens = list(MEDICAL)
        medical_weights = [MEDICAL[g][2] for g in medical_gens]
        codes, code_weights = zip(*MEDICAL_CODES, strict=True)
        planned: list[Planned] = []
        for _ in range(self.plan.count):
            registered = start + timedelta(seconds=rnd.random() * span)
            if rnd.random() < HAZARDOUS_SHARE:
                generator = rnd.choice(list(FACTORIES))
                waste_code = rnd.choice(FACTORIES[generator])
                weight = rnd.randint(20_000, 400_000)
                plant, transporter = HAZARDOUS_PLANT, HAZMAT_TRANSPORTER
                method = "R4" if waste_code == "900-052-31" else "D10"
                medical = False
                after = timedelta(hours=rnd.uniform(24, 96))
            else:
                generator = rnd.choices(medical_gens, medical_weights)[0]
                waste_code = rnd.choices(codes, code_weights)[0]
                weight = rnd.randint(2_000, 15_000)
                plant, transporter = MEDICAL[generator][0], MEDICAL[generator][1]
                method = "Y10"
                medical = True
                # Most are burnt within the day; 4 % late (the clearance rate is not 100 %).
                after = timedelta(hours=rnd.uniform(2, 16) if rnd.random() > 0.04 else rnd.uniform(24, 36))
            received = max(1, round(weight * rnd.uniform(0.98, 1.02)))
            planned.append(
                Planned(
                    code=self._code(generator, waste_code, day),
                    generator=generator,
                    division=self.divisions[generator],
                    waste_code=waste_code,
                    medical=medical,
                    weight_g=weight,
                    received_g=received,
                    registered=registered,
                    plant=plant,
                    transporter=transporter,
                    method=method,
                    disposed_after=after,
                )
            )
        return planned

    def batch(self) -> Batch:
        batch = Batch()
        planned = self._plan_day()
        stuck = {p.code for i, p in enumerate(planned) if i in self.plan.stuck}
        # One manifest per generator and day: the truck comes at 16:30–18:00 (hazardous waste on the weekly
        # round, so it waits at the factory in between).
        groups: dict[str, list[Planned]] = defaultdict(list)
        for p in planned:
            if p.code not in stuck:
                groups[p.generator].append(p)
        for generator, members in sorted(groups.items()):
            self._shipment(batch, self.plan.day, generator, members)
        for p in planned:
            if p.code in stuck:
                self._container(batch, p, None, None, None, None)
        batch.counters = {**self.container_serials, **self.manifest_serials}
        return batch

    def _shipment(self, batch: Batch, day: date, generator: str, members: list[Planned]) -> None:
        rnd = self.random
        medical = members[0].medical
        if not medical:
            # Hazardous waste: collected on the next weekly round after packing.
            days_to_round = (6 - day.weekday()) % 7 + 1
            day = day + timedelta(days=days_to_round)
        dispatch = datetime(day.year, day.month, day.day, 16, 30, tzinfo=TZ).astimezone(UTC)
        dispatch += timedelta(minutes=rnd.uniform(0, 90))
        dispatch = max(dispatch, max(m.registered for m in members) + timedelta(minutes=5))
        delivered = dispatch + timedelta(hours=rnd.uniform(0.5, 2.5))
        plant, transporter = members[0].plant, members[0].transporter
        division = self.divisions[generator]
        province, city = manifest_city_digits(division)
        # One manifest per generator and packing day: a serial from the packing day and the generator is unique
        # within any 2,000 days, so days need not share a counter.
        serial = (self.plan.day.toordinal() % 2000) * len(_GENERATORS) + _GENERATORS.index(generator) + 1
        scope = f"manifest:{day.year:04d}{province}{city}"
        self.manifest_serials[scope] = max(self.manifest_serials.get(scope, 0), serial)
        number = str(ManifestNumber(day.year, province, city, serial))
        stream = Stream(f"shipment:{number}", batch.events)
        created = min(m.registered for m in members) + timedelta(hours=1)
        created = min(created, dispatch - timedelta(minutes=1))
        if created > NOW:
            for m in members:
                self._container(batch, m, None, None, None, None)
            return
        lines = [{"code": m.code, "waste_code": m.waste_code, "weight_kg": kg(m.weight_g)} for m in members]
        gen_user, carrier_user, plant_user = f"{generator[-4:]}.staff", "driver", "gate"
        vehicle = {
            "vehicle_plate": "渝A12345",
            "transport_licence": "渝交运管许可字500112001号",
            "driver": "李师傅",
            "route_start": "",
            "route_end": "",
        }
        stream.add(
            "shipment.created",
            {
                "generator": generator,
                "transporter": transporter,
                "receiver": plant,
                "origin_division": division,
                "destination_division": self.divisions[plant],
                "cross_province": False,
                "trip_id": None,
                "previous_shipment": None,
                "containers": lines,
                "driver": "",
                "emergency_measures": "",
                "route_end": "",
                "route_start": "",
                "transport_licence": "",
                "vehicle_plate": "",
            },
            created,
            generator,
            gen_user,
        )
        waste_codes = sorted({m.waste_code for m in members})
        declared = sum(m.weight_g for m in members)
        signed = created + timedelta(minutes=1)
        if signed <= NOW:
            stream.add(
                "shipment.signed_by_generator",
                {"declared_kg": kg(declared), "waste_codes": waste_codes},
                signed,
                generator,
                gen_user,
            )
        received_at: dict[str, datetime] = {}
        disposed_at: dict[str, datetime] = {}
        if dispatch <= NOW and signed <= NOW:
            stream.add(
                "shipment.dispatched", {"fields": vehicle, "transfer_basis": []}, dispatch, transporter, carrier_user
            )
            if delivered <= NOW:
                stream.add("shipment.delivered", {}, delivered, transporter, carrier_user)
                for index, m in enumerate(members):
                    at = delivered + timedelta(seconds=10 * (index + 1))
                    if at <= NOW:
                        received_at[m.code] = at
                        burnt = max(at + timedelta(minutes=30), m.registered + m.disposed_after)
                        if burnt <= NOW:
                            disposed_at[m.code] = burnt
        for m in members:
            collected = dispatch if (dispatch <= NOW and signed <= NOW) else None
            self._container(
                batch, m, number if collected else None, collected, received_at.get(m.code), disposed_at.get(m.code)
            )
        receipt_at = delivered + timedelta(seconds=10 * len(members) + 60)
        closed_at = max(disposed_at.values(), default=receipt_at) + timedelta(seconds=1)
        if len(received_at) == len(members) and receipt_at <= NOW:
            items = [
                {
                    "code": m.code,
                    "waste_code": m.waste_code,
                    "declared_kg": str(kg(m.weight_g)),
                    "received_kg": kg(m.received_g),
                    "outcome": "accepted",
                    "reason": None,
                    "discrepancy": False,
                }
                for m in members
            ]
            stream.add(
                "shipment.received",
                {
                    "decision": "accepted",
                    "items": items,
                    "accepted_kg": kg(sum(m.received_g for m in members)),
                    "refused": [],
                    "discrepancies": [],
                    "late": False,
                    "note": "",
                    "transfer_basis": [],
                },
                receipt_at,
                plant,
                plant_user,
            )
            if len(disposed_at) == len(members) and closed_at <= NOW:
                stream.add("shipment.closed", {"containers_disposed": len(members)}, closed_at, plant, plant_user)
        batch.shipments.append(self._shipment_row(stream, number))

    def _shipment_row(self, stream: Stream, number: str) -> tuple[Any, ...]:
        # The projection is the fold of the events just written: valid by construction.
        state = None
        for row in stream.own:
            event = RecordedEvent(
                seq=0,
                stream=row[0],
                version=row[1],
                type=row[2],
                occurred_at=row[3],
                recorded_at=row[4],
                actor_org=row[5],
                actor_user=row[6],
                payload=json.loads(row[7]),
                prev_hash=row[8],
                hash=row[9],
                payload_text=row[7],
            )
            state = evolve_shipment(state, event)
        assert state is not None
        values = state.model_dump()
        for name in ("container_codes", "waste_codes", "signatures", "transfer_basis", "receipt", "corrections"):
            values[name] = json.dumps(values[name], ensure_ascii=False)
        return tuple(values[c] for c in SHIPMENT_COLUMNS)

    def _container(
        self,
        batch: Batch,
        p: Planned,
        shipment: str | None,
        collected: datetime | None,
        received: datetime | None,
        disposed: datetime | None,
    ) -> None:
        stream = Stream(p.code, batch.events)
        category = "HW" + p.waste_code[-2:]
        form = "solid"
        stream.add(
            "container.registered",
            {
                "generator": p.generator,
                "division": p.division,
                "waste_code": p.waste_code,
                "category": category,
                "medical": p.medical,
                "weight_kg": kg(p.weight_g),
                "packaging": "bag" if p.medical else "drum",
                "volume_ml": 30_000 if p.medical else 200_000,
                "form": form,
                "packed_on": p.registered.astimezone(TZ).date().isoformat(),
                "description": "",
            },
            p.registered,
            p.generator,
            f"{p.generator[-4:]}.staff",
        )
        status, custodian, plant = "registered", p.generator, None
        if collected is not None:
            stream.add(
                "container.collected",
                {"shipment": shipment, "transporter": p.transporter, "plant": p.plant, "vehicle_plate": "渝A12345"},
                collected,
                p.transporter,
                "driver",
            )
            status, custodian, plant = "collected", p.transporter, p.plant
        if received is not None:
            deviation = (Decimal(p.received_g - p.weight_g) / Decimal(p.weight_g)).quantize(Decimal("0.0001"))
            stream.add(
                "container.received",
                {
                    "shipment": shipment,
                    "plant": p.plant,
                    "weight_kg": kg(p.received_g),
                    "declared_kg": kg(p.weight_g),
                    "deviation": format(deviation.normalize(), "f"),
                    "discrepancy": False,
                },
                received,
                p.plant,
                "gate",
            )
            status, custodian = "received", p.plant
        if disposed is not None:
            stream.add(
                "container.disposed",
                {"plant": p.plant, "method": p.method, "line": "1", "shipment": shipment},
                disposed,
                p.plant,
                "gate",
            )
            status = "disposed"
        batch.containers.append(
            (
                p.code,
                p.generator,
                p.division,
                p.waste_code,
                category,
                p.medical,
                status,
                custodian,
                p.weight_g,
                p.received_g if received is not None else None,
                "bag" if p.medical else "drum",
                30_000 if p.medical else 200_000,
                form,
                p.registered.astimezone(TZ).date(),
                p.registered,
                collected,
                received,
                disposed,
                None,
                shipment,
                plant,
                p.method if disposed is not None else None,
                False,
                stream.version,
            )
        )


def _dsn(url: str, database: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


async def _fresh_database(url: str, name: str) -> str:
    admin = await asyncpg.connect(_dsn(url))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    bench_url = make_url(url).set(database=name).render_as_string(hide_password=False)
    db = Database(Settings(database_url=bench_url))
    try:
        await migrate(db.engine)
        await load_demo_organisations(db.uow())
    finally:
        await db.dispose()
    return bench_url


async def fill(url: str, size: int) -> dict[str, Any]:
    """Generate and COPY ``size`` containers with their events and manifests; returns what was written."""
    conn = await asyncpg.connect(_dsn(url))
    try:
        divisions = dict(await conn.fetch("SELECT uscc, division FROM organisation"))
        plans = plan_days(size)
        totals: dict[str, float] = defaultdict(float)
        counters: dict[str, int] = {}
        started = time.perf_counter()
        loop = asyncio.get_running_loop()
        # Two worker processes build days (hashing is the cost) while this one COPYs finished days in order.
        with ProcessPoolExecutor(max_workers=max(1, min(2, os.cpu_count() or 1))) as pool:
            pending = [loop.run_in_executor(pool, build_day, plan, divisions) for plan in plans[:4]]
            queued = 4
            while pending:
                t0 = time.perf_counter()
                batch = await pending.pop(0)
                if queued < len(plans):
                    pending.append(loop.run_in_executor(pool, build_day, plans[queued], divisions))
                    queued += 1
                t1 = time.perf_counter()
                await conn.copy_records_to_table("ledger_event", records=batch.events, columns=EVENT_COLUMNS)
                await conn.copy_records_to_table("container", records=batch.containers, columns=CONTAINER_COLUMNS)
                await conn.copy_records_to_table("shipment", records=batch.shipments, columns=SHIPMENT_COLUMNS)
                totals["wait_for_workers_s"] += t1 - t0
                totals["copy_s"] += time.perf_counter() - t1
                totals["events"] += len(batch.events)
                totals["containers"] += len(batch.containers)
                totals["shipments"] += len(batch.shipments)
                for scope, value in batch.counters.items():
                    counters[scope] = max(counters.get(scope, 0), value)
        # The serials issued, so that the ledger would carry on from them.
        await conn.copy_records_to_table("sequence_counter", records=list(counters.items()), columns=["scope", "value"])
        t2 = time.perf_counter()
        await conn.execute("ANALYZE")
        totals["analyze_s"] = time.perf_counter() - t2
        totals["total_s"] = time.perf_counter() - started
        totals["days"] = len(plans)
        totals["open"] = await conn.fetchval(
            "SELECT count(*) FROM container WHERE status NOT IN ('disposed', 'voided')"
        )
        totals["open_medical"] = await conn.fetchval(
            "SELECT count(*) FROM container WHERE medical AND status NOT IN ('disposed', 'voided')"
        )
        return dict(totals)
    finally:
        await conn.close()


async def check_sample(db: Database, samples: int = 300) -> dict[str, int]:
    """Re-verify a sample: every event hash and chain, and fold(events) == the projection row."""
    checked = 0
    async with db.uow() as uow:
        codes = list(
            (
                await uow.session.execute(
                    text("SELECT code FROM container TABLESAMPLE SYSTEM (1) LIMIT :n"), {"n": samples}
                )
            ).scalars()
        )
        numbers = list(
            (await uow.session.execute(text("SELECT number FROM shipment ORDER BY random() LIMIT 30"))).scalars()
        )
        for code in codes:
            events = await uow.events.read(code)
            prev = GENESIS_HASH
            for e in events:
                digest = event_hash(
                    stream=e.stream,
                    version=e.version,
                    type=e.type,
                    occurred_at=e.occurred_at,
                    recorded_at=e.recorded_at,
                    actor_org=e.actor_org,
                    actor_user=e.actor_user,
                    payload=e.payload_text,
                    prev_hash=prev,
                )
                assert digest == e.hash and e.prev_hash == prev, f"{code} v{e.version}: hash chain broken"
                prev = digest
            state = fold(events)
            row = (await uow.session.execute(text("SELECT * FROM container WHERE code = :c"), {"c": code})).one()
            assert state is not None
            for name in ("status", "custodian_uscc", "weight_g", "received_weight_g", "plant_uscc", "version"):
                assert getattr(state, name) == getattr(row, name), f"{code}: {name} differs from the fold"
            for name in ("registered_at", "collected_at", "received_at", "disposed_at"):
                assert getattr(state, name) == getattr(row, name), f"{code}: {name} differs from the fold"
            checked += 1
        for number in numbers:
            shipment = None
            for e in await uow.events.read(f"shipment:{number}"):
                shipment = evolve_shipment(shipment, e)
            row = (
                await uow.session.execute(
                    text("SELECT status, declared_g FROM shipment WHERE number = :n"), {"n": number}
                )
            ).one()
            assert shipment is not None and (shipment.status, shipment.declared_g) == (row.status, row.declared_g)
    return {"containers": checked, "shipments": len(numbers)}


async def _time(repeat: int, run: Callable[[], Awaitable[Any]]) -> float:
    await run()  # warm the caches and the prepared statements
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        await run()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings) * 1000


async def measure(url: str, repeat: int) -> dict[str, Any]:
    db = Database(Settings(database_url=url), clock=lambda: NOW)
    try:
        sample = await check_sample(db)

        async def full_history() -> None:
            # The baseline: the same kind of figures computed over every medical container ever registered, as a
            # design without open-only indexes (or one that recomputed rates from the whole history) would.
            async with db.uow() as uow:
                await uow.session.execute(
                    text(
                        "SELECT generator_uscc, count(*), sum(weight_g),"
                        " sum(CASE WHEN disposed_at <= registered_at + interval '24 hours' THEN 1 ELSE 0 END)"
                        " FROM container WHERE medical GROUP BY generator_uscc"
                    )
                )

        async def plan(sql: str) -> list[str]:
            async with db.uow() as uow:
                rows = (await uow.session.execute(text("EXPLAIN " + sql))).scalars()
                return [r for r in rows if "Scan" in r]

        figures = {
            "daily_clearing_report_ms": await _time(repeat, lambda: daily_clearing(db.uow(), SYSTEM)),
            "daily_clearing_check_ms": await _time(repeat, lambda: check_daily_clearing(db.uow())),
            "plant_load_report_ms": await _time(repeat, lambda: plant_load(db.uow(), SYSTEM)),
            "plant_load_check_ms": await _time(repeat, lambda: check_plant_load(db.uow())),
            "full_history_scan_ms": await _time(repeat, full_history),
            "sample_verified": sample,
            "overdue_plan": await plan(
                "SELECT generator_uscc, count(*) FROM container WHERE medical = true"
                " AND status NOT IN ('disposed', 'voided') AND registered_at < now() GROUP BY generator_uscc"
            ),
        }
        report = await plant_load(db.uow(), SYSTEM)
        clearing = await daily_clearing(db.uow(), SYSTEM)
        figures["city_capacity_t"] = str(report.city_capacity_t)
        figures["overdue"] = clearing.city.overdue_count
        figures["clearance_rates"] = [str(d.rate) for d in clearing.days]
        return figures
    finally:
        await db.dispose()


def _machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


async def run(sizes: list[int], url: str, repeat: int, keep: bool) -> list[dict[str, Any]]:
    results = []
    for size in sizes:
        name = f"wl_bench_{size}"
        print(f"\n== {size:,} containers (database {name})", flush=True)
        bench_url = await _fresh_database(url, name)
        written = await fill(bench_url, size)
        print(
            f"   wrote {written['containers']:,.0f} containers, {written['events']:,.0f} events,"
            f" {written['shipments']:,.0f} manifests over {written['days']:.0f} days in {written['total_s']:.1f} s"
            f" (waiting for workers {written['wait_for_workers_s']:.1f} s, COPY {written['copy_s']:.1f} s, ANALYZE"
            f" {written['analyze_s']:.1f} s); open: {written['open']:,.0f} ({written['open_medical']:,.0f} medical)",
            flush=True,
        )
        figures = await measure(bench_url, repeat)
        print(f"   verified sample: {figures['sample_verified']}")
        for key in (
            "daily_clearing_report_ms",
            "daily_clearing_check_ms",
            "plant_load_report_ms",
            "plant_load_check_ms",
            "full_history_scan_ms",
        ):
            print(f"   {key:<26} {figures[key]:8.1f} ms")
        print(f"   overdue query plan: {' / '.join(p.strip() for p in figures['overdue_plan'])}")
        print(f"   city capacity {figures['city_capacity_t']} t/day; clearance rates {figures['clearance_rates']}")
        results.append({"size": size, **written, **figures})
        if not keep:
            admin = await asyncpg.connect(_dsn(url))
            try:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await admin.close()
    if len(results) > 1:
        first, last = results[0], results[-1]
        print(
            f"\n{last['size'] // first['size']}x the history, {last['open'] / first['open']:.2f}x the open containers:"
        )
        for key in ("daily_clearing_check_ms", "plant_load_check_ms", "full_history_scan_ms"):
            print(f"   {key:<26} x{last[key] / first[key]:.2f}")
    print(f"\nmachine: {_machine()}; {datetime.now(UTC):%Y-%m-%d}")
    return results


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(prog="python -m bench.daily_checks", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated container counts")
    parser.add_argument(
        "--url",
        default=os.environ.get("WASTELEDGER_BENCH_DATABASE_URL")
        or os.environ.get("WASTELEDGER_TEST_DATABASE_URL")
        or DEFAULT_URL,
        help="a PostgreSQL server (the benchmark creates and drops its own databases there)",
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark databases")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    return asyncio.run(run(sizes, args.url, args.repeat, args.keep))


if __name__ == "__main__":
    main()
