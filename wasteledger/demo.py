"""Demo data worth looking at: thirty days of a small city's waste, recorded through the real services.

Every container is registered, shipped, received and disposed by the same service functions the API calls,
each step under the party that takes it. History needs past times, and the ledger refuses client-supplied
times older than 14 days (``LATE_ENTRY``), so the loader does not pass times at all: it runs the services on a
:class:`Database` whose clock is pinned to each step's moment in turn, as if the day were being lived again.
Steps of all manifests are put on one timeline and run in time order, so every stream's events come in the
order they happened.

What the dashboard then shows (``docs/dashboard.md`` has screenshots):

- three hospitals shipping every day for 30 days, four more every other day and three clinics every third day
  over the last fortnight, each manifest signed by generator, transporter and plant and its waste burnt the
  same day, but for a few late days;
- today an epidemic-style surge at the Wanzhou hospital: 5.5 t received at the Wanzhou plant (5 t/day) and
  not yet burnt, more on its way from Liangping: Wanzhou is over capacity;
- the Liangping emergency centre switched on three weeks ago and off again nine days later (who and why are
  in its stream), so the capacity trend steps from 99 to 102 t/day and back; all five emergency lines are off
  at the end, ready to be switched on (99 → 111 t/day);
- medical waste left uncollected at two hospitals (30 h and 52 h): overdue, one beyond the legal 48 h;
- manifests in transit today; one delivered nine days ago that its receiver never signed;
- lead batteries and circuit boards to Sichuan under the 川渝 white list, and contaminated packaging under a
  transfer approval that is 90 % used;
- the monitoring checks run once at the end, so alerts are open.

All figures are invented for the demo (the organisations are the demo ones of ``fixtures/demo``).
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from decimal import Decimal

from sqlalchemy import func, select
from sqlmodel import col

from ledger.actors import SYSTEM, Actor, Role
from ledger.containers import Packaging, RegisterContainer, register_container
from ledger.errors import LedgerError
from ledger.monitoring.checks import CHECKS, run_check
from ledger.plants import set_plant_active
from ledger.shipments import (
    CreateShipment,
    Dispatch,
    DisposeContainers,
    ReceiveContainer,
    SignReceipt,
    create_shipment,
    deliver,
    dispatch,
    dispose_containers_in,
    receive_container_in,
    sign_as_generator,
    sign_receipt,
)
from ledger.tables import Container, TransferQuota
from ledger.transfers import CreateApproval, CreateWhiteListEntry, create_approval, create_white_list_entry
from ledger.unit_of_work import Database

# --- the cast (fixtures/demo/organisations.json) -------------------------------------------------------------

YUZHONG_HOSPITAL = "12500103459578017X"
SHAPINGBA_HOSPITAL = "12500106591932773W"
WANZHOU_HOSPITAL = "125001014194118615"
YUBEI_HOSPITAL = "12500112359825279N"
FULING_HOSPITAL = "12500102524795270G"
LIANGPING_HOSPITAL = "12500155255421907Y"
QIANJIANG_HOSPITAL = "125001143798755564"
DENTAL_CLINIC = "91500109MA5UXN1A40"
WUSHAN_CLINIC = "91500237MA5UYU4E0B"
COMMUNITY_CLINIC = "91500107MA5ULYYD3U"
AUTO_REPAIR = "91500107MA5U6MB49U"
ELECTRONICS = "91500112MA5U1DFY81"
MACHINERY = "91500106MA5UQ4BB6U"

CENTRAL_TRANSPORTER = "91500112MA5U4GME30"
WANZHOU_TRANSPORTER = "91500101MA5UFN7Y0A"
HAZMAT_TRANSPORTER = "91500107MA5U52G75X"

TONGXING = "9150010919411841XQ"
WANZHOU_PLANT = "91500101MA5UT55FXK"
FULING_PLANT = "91500102MA5UMG963P"
QIANJIANG_PLANT = "91500114MA5U45Y21X"
WUSHAN_PLANT = "91500237MA5UAPN53R"
LIANGPING_EMERGENCY = "91500155MA5UM65B1G"
#: The five medical emergency and backup lines (12 t/day): off at the end of the load, for a regulator to switch on.
EMERGENCY_LINES = (
    LIANGPING_EMERGENCY,
    "91500109MA5U6P83X3",  # Tongxing backup line
    "91500118MA5U2BPK70",  # Yongchuan hazardous-waste incinerator
    "91500120MA5UBTYU4L",  # Bishan hazardous-waste incinerator
    "91500115MA5UBNUU29",  # Changshou hazardous-waste incinerator
)
CQ_HAZARDOUS = "91500115MA5UF10G9H"
NEIJIANG_LEAD = "91511000MA6YPG0Y7M"
CHENGDU_EWASTE = "91510100MA669PUYX4"
ZIGONG_DISPOSAL = "91510300MA661R0H1H"

CITY_REGULATOR = Actor(org="11500000247976371U", user="cq.regulator", role=Role.REGULATOR, jurisdiction="500000")

#: Demo users who act for an organisation (events name them); organisations without one act as "demo.<kind>".
_USER_OF = {
    YUZHONG_HOSPITAL: "yuzhong.hospital",
    WANZHOU_HOSPITAL: "wanzhou.hospital",
    AUTO_REPAIR: "jiulongpo.autorepair",
    CENTRAL_TRANSPORTER: "central.transporter",
    HAZMAT_TRANSPORTER: "hazmat.transporter",
    TONGXING: "tongxing.operator",
    WANZHOU_PLANT: "wanzhou.operator",
    NEIJIANG_LEAD: "neijiang.operator",
}
_TRANSPORTERS = {CENTRAL_TRANSPORTER, WANZHOU_TRANSPORTER, HAZMAT_TRANSPORTER}
_PLANTS = {
    TONGXING,
    WANZHOU_PLANT,
    FULING_PLANT,
    QIANJIANG_PLANT,
    WUSHAN_PLANT,
    LIANGPING_EMERGENCY,
    CQ_HAZARDOUS,
    NEIJIANG_LEAD,
    CHENGDU_EWASTE,
    ZIGONG_DISPOSAL,
}


def _actor(org: str) -> Actor:
    role = Role.TRANSPORTER if org in _TRANSPORTERS else Role.PLANT_OPERATOR if org in _PLANTS else Role.GENERATOR
    return Actor(org=org, user=_USER_OF.get(org, f"demo.{role.value}"), role=role)


#: (waste code, packaging, litres, kg): one line of what a generator packs.
Item = tuple[str, Packaging, Decimal, Decimal]

_BIN = ("841-001-01", Packaging.BOX, Decimal("660"))  # a 660 L wheeled bin of infectious waste
_SHARPS = ("841-002-01", Packaging.SHARPS_BOX, Decimal("4"))
_PATHOLOGICAL = ("841-003-01", Packaging.BOX, Decimal("20"))


def _bin(kg: str) -> Item:
    return (*_BIN, Decimal(kg))


def _sharps(kg: str) -> Item:
    return (*_SHARPS, Decimal(kg))


#: What a hospital packs today, as in the earlier demo: a morning round of bags and boxes.
MORNING_ROUND: tuple[Item, ...] = (
    ("841-001-01", Packaging.BAG, Decimal("30"), Decimal("6.200")),
    ("841-001-01", Packaging.BAG, Decimal("30"), Decimal("5.850")),
    ("841-002-01", Packaging.SHARPS_BOX, Decimal("4"), Decimal("1.300")),
    ("841-003-01", Packaging.BOX, Decimal("20"), Decimal("3.400")),
    ("841-005-01", Packaging.BOX, Decimal("20"), Decimal("2.150")),
)

VEHICLES = {
    CENTRAL_TRANSPORTER: Dispatch(
        vehicle_plate="渝A6M218", transport_licence="渝交运管许可字500112006号", driver="陈建"
    ),
    WANZHOU_TRANSPORTER: Dispatch(
        vehicle_plate="渝F3K705", transport_licence="渝交运管许可字500101001号", driver="张勇"
    ),
    HAZMAT_TRANSPORTER: Dispatch(
        vehicle_plate="渝B9W551", transport_licence="渝交运管许可字500107003号", driver="刘伟"
    ),
}


EMERGENCY_MEASURES = "泄漏时隔离现场，通知承运人与当地生态环境局 (isolate spills, call the carrier and the bureau)"


# --- a demo clock and a timeline of steps --------------------------------------------------------------------


class DemoClock:
    """The ledger's clock during the load: pinned to each step's moment, the real time otherwise."""

    def __init__(self) -> None:
        self.pinned: datetime | None = None

    def __call__(self) -> datetime:
        return self.pinned or datetime.now(UTC)


Step = Callable[[], Awaitable[None]]


@dataclass
class Timeline:
    """Steps to run in time order (ties in the order they were planned)."""

    steps: list[tuple[datetime, int, Step]] = field(default_factory=list)
    counter: itertools.count[int] = field(default_factory=itertools.count)

    def at(self, moment: datetime, step: Step) -> None:
        heapq.heappush(self.steps, (moment, next(self.counter), step))

    async def run(self, clock: DemoClock) -> None:
        while self.steps:
            moment, _, step = heapq.heappop(self.steps)
            clock.pinned = moment
            await step()
        clock.pinned = None


@dataclass
class Trip:
    """One manifest's life: which steps happen, and when (None: not yet)."""

    generator: str
    transporter: str
    plant: str
    items: list[Item]
    packed: datetime
    dispatched: datetime | None = None
    delivered: datetime | None = None
    received: datetime | None = None
    signed: bool = True
    disposed: datetime | None = None
    method: str = "Y10"
    codes: list[str] = field(default_factory=list)
    number: str = ""


@dataclass
class Demo:
    db: Database
    timeline: Timeline = field(default_factory=Timeline)
    trips: list[Trip] = field(default_factory=list)

    def plan(self, trip: Trip) -> None:
        """Put a trip's steps on the timeline."""
        self.trips.append(trip)
        self.timeline.at(trip.packed, lambda: self._register(trip))
        if trip.dispatched is not None:
            self.timeline.at(trip.dispatched, lambda: self._dispatch(trip))
        if trip.delivered is not None:
            self.timeline.at(trip.delivered, lambda: self._deliver(trip))
        if trip.received is not None:
            self.timeline.at(trip.received, lambda: self._receive(trip))
        if trip.disposed is not None:
            self.timeline.at(trip.disposed, lambda: self._dispose(trip))

    async def _register(self, trip: Trip) -> None:
        for waste_code, packaging, litres, kg in trip.items:
            view = await register_container(
                self.db.uow(),
                RegisterContainer(
                    generator=trip.generator, waste_code=waste_code, weight_kg=kg, packaging=packaging, volume_l=litres
                ),
                _actor(trip.generator),
            )
            trip.codes.append(view.code)

    async def _dispatch(self, trip: Trip) -> None:
        generator = _actor(trip.generator)
        manifest = await create_shipment(
            self.db.uow(),
            CreateShipment(
                generator=trip.generator,
                transporter=trip.transporter,
                receiver=trip.plant,
                containers=trip.codes,
                emergency_measures=EMERGENCY_MEASURES,
            ),
            generator,
        )
        trip.number = manifest.number
        await sign_as_generator(self.db.uow(), trip.number, generator)
        await dispatch(self.db.uow(), trip.number, VEHICLES[trip.transporter], _actor(trip.transporter))

    async def _deliver(self, trip: Trip) -> None:
        await deliver(self.db.uow(), trip.number, _actor(trip.transporter))

    async def _receive(self, trip: Trip) -> None:
        plant = _actor(trip.plant)
        # Every scan of one unloading in one transaction, as a scanner's batch would be (ledger.scans).
        async with self.db.uow() as uow:
            for code, (_, _, _, kg) in zip(trip.codes, trip.items, strict=True):
                await receive_container_in(uow, ReceiveContainer(shipment=trip.number, code=code, weight_kg=kg), plant)
            await uow.commit()
        if trip.signed:
            await sign_receipt(self.db.uow(), trip.number, SignReceipt(note="数量、包装、标签核对无误"), plant)

    async def _dispose(self, trip: Trip) -> None:
        async with self.db.uow() as uow:
            await dispose_containers_in(
                uow, DisposeContainers(codes=trip.codes, method=trip.method, line="1#"), _actor(trip.plant)
            )
            await uow.commit()


# --- the month -----------------------------------------------------------------------------------------------

#: Hospitals shipping every day of the month: generator → (transporter, plant, kg of the daily bin).
DAILY: dict[str, tuple[str, str, str]] = {
    YUZHONG_HOSPITAL: (CENTRAL_TRANSPORTER, TONGXING, "420"),
    WANZHOU_HOSPITAL: (WANZHOU_TRANSPORTER, WANZHOU_PLANT, "380"),
    LIANGPING_HOSPITAL: (WANZHOU_TRANSPORTER, WANZHOU_PLANT, "260"),
}
#: Hospitals shipping every other day over the last fortnight (the legal minimum, 医疗废物管理条例): fewer
#: manifests keep the load fast while the clearing report's two weeks still show every district.
ALTERNATE: dict[str, tuple[str, str, str]] = {
    SHAPINGBA_HOSPITAL: (CENTRAL_TRANSPORTER, TONGXING, "360"),
    YUBEI_HOSPITAL: (CENTRAL_TRANSPORTER, TONGXING, "310"),
    FULING_HOSPITAL: (CENTRAL_TRANSPORTER, FULING_PLANT, "290"),
    QIANJIANG_HOSPITAL: (CENTRAL_TRANSPORTER, QIANJIANG_PLANT, "240"),
}
#: Clinics shipping every third day over the last fortnight: a sharps box and a bag.
CLINICS: dict[str, tuple[str, str, str]] = {
    DENTAL_CLINIC: (CENTRAL_TRANSPORTER, TONGXING, "Y10"),
    COMMUNITY_CLINIC: (CENTRAL_TRANSPORTER, TONGXING, "Y10"),
    WUSHAN_CLINIC: (WANZHOU_TRANSPORTER, WUSHAN_PLANT, "Y11"),
}
FORTNIGHT = 14
HISTORY_DAYS = 30
#: Days (ago) when the Liangping emergency centre ran, taking the Liangping hospital's waste off Wanzhou.
LIANGPING_ON, LIANGPING_OFF = 21, 12
#: (hospital, days ago): the plant burnt that day's waste only the next afternoon (late: the clearance rate dips).
LATE_DISPOSALS = {(WANZHOU_HOSPITAL, 10), (LIANGPING_HOSPITAL, 10), (QIANJIANG_HOSPITAL, 5), (FULING_HOSPITAL, 8)}


def _local(day: date, hour: int, minute: int, db: Database) -> datetime:
    return datetime.combine(day, clock_time(hour, minute), tzinfo=db.settings.timezone).astimezone(UTC)


def _daily_weight(base: str, days_ago: int, salt: int) -> Decimal:
    """A daily weight that varies by ±15 % (deterministic, so two loads of the demo look alike)."""
    swing = ((days_ago * 7 + salt * 13) % 31 - 15) / 100
    return (Decimal(base) * (1 + Decimal(str(swing)))).quantize(Decimal("0.001"))


def _plan_history(demo: Demo, now: datetime) -> None:
    db = demo.db
    today = now.astimezone(db.settings.timezone).date()
    for days_ago in range(HISTORY_DAYS, 0, -1):
        day = today - timedelta(days=days_ago)
        hospitals = dict(DAILY)
        if days_ago <= FORTNIGHT:
            hospitals.update({g: r for i, (g, r) in enumerate(ALTERNATE.items()) if (days_ago + i) % 2 == 0})
        for salt, (generator, (transporter, plant, kg)) in enumerate(hospitals.items()):
            if generator == LIANGPING_HOSPITAL and LIANGPING_OFF < days_ago <= LIANGPING_ON:
                plant = LIANGPING_EMERGENCY
            items = [_bin(str(_daily_weight(kg, days_ago, salt)))]
            if days_ago % 3 == salt % 3:
                items.append(_sharps("8.500"))
            late = (generator, days_ago) in LATE_DISPOSALS
            demo.plan(
                Trip(
                    generator,
                    transporter,
                    plant,
                    items,
                    packed=_local(day, 7, 30 + salt, db),
                    dispatched=_local(day, 9, 10 * salt % 60, db),
                    delivered=_local(day, 11, 0, db),
                    received=_local(day, 11, 20 + salt, db),
                    disposed=_local(day + timedelta(days=1), 14, 0, db) if late else _local(day, 16, salt, db),
                )
            )
        for salt, (generator, (transporter, plant, method)) in enumerate(CLINICS.items()):
            if days_ago > FORTNIGHT or (days_ago + salt) % 3:
                continue
            demo.plan(
                Trip(
                    generator,
                    transporter,
                    plant,
                    [_sharps("3.200"), ("841-001-01", Packaging.BAG, Decimal("30"), Decimal("6.400"))],
                    packed=_local(day, 8, salt, db),
                    dispatched=_local(day, 13, salt, db),
                    delivered=_local(day, 14, 30, db),
                    received=_local(day, 14, 40 + salt, db),
                    disposed=_local(day, 17, salt, db),
                    method=method,
                )
            )
    # Hazardous waste: lead batteries and circuit boards to Sichuan under the white list; contaminated
    # packaging under an approval; waste oil to the city's hazardous-waste plant.
    for days_ago in (26, 19, 12, 5):
        day = today - timedelta(days=days_ago)
        pallets = [("900-052-31", Packaging.PALLET, Decimal("1000"), Decimal(kg)) for kg in ("910", "875", "940")]
        demo.plan(_hazardous_trip(AUTO_REPAIR, NEIJIANG_LEAD, pallets, day, "R4", db))
    for days_ago in (23, 9):
        day = today - timedelta(days=days_ago)
        boards = [("900-045-49", Packaging.BULK_BAG, Decimal("1000"), Decimal(kg)) for kg in ("620", "580")]
        demo.plan(_hazardous_trip(ELECTRONICS, CHENGDU_EWASTE, boards, day, "R15", db))
    for days_ago in (27, 16, 8):
        day = today - timedelta(days=days_ago)
        ibcs = [("900-041-49", Packaging.IBC, Decimal("1000"), Decimal("900.000"))] * 4
        demo.plan(_hazardous_trip(MACHINERY, ZIGONG_DISPOSAL, ibcs, day, "D10", db))
    # Delivered nine days ago, every drum scanned in, but the receiver never signed: unconfirmed.
    day = today - timedelta(days=9)
    drums = [("900-249-08", Packaging.DRUM, Decimal("200"), Decimal(kg)) for kg in ("172", "168", "181")]
    trip = _hazardous_trip(AUTO_REPAIR, CQ_HAZARDOUS, drums, day, "R9", db)
    trip.signed, trip.disposed = False, None
    demo.plan(trip)


def _hazardous_trip(generator: str, plant: str, items: list[Item], day: date, method: str, db: Database) -> Trip:
    return Trip(
        generator,
        HAZMAT_TRANSPORTER,
        plant,
        items,
        packed=_local(day, 8, 15, db),
        dispatched=_local(day, 9, 30, db),
        delivered=_local(day, 15, 10, db),
        received=_local(day, 15, 40, db),
        disposed=_local(day + timedelta(days=1), 10, 0, db),
        method=method,
    )


def _plan_today(demo: Demo, now: datetime) -> None:
    """Today, relative to now (a load at 03:00 still finds a surge in progress)."""

    def hours(h: float) -> datetime:
        return now - timedelta(hours=h)

    # The surge: 24 bins of 230 kg (5.52 t) reach the Wanzhou plant, which has not burnt them yet …
    demo.plan(
        Trip(
            WANZHOU_HOSPITAL,
            WANZHOU_TRANSPORTER,
            WANZHOU_PLANT,
            [_bin("230.000")] * 24,
            packed=hours(7),
            dispatched=hours(6),
            delivered=hours(5),
            received=hours(4.8),
        )
    )
    # … and Liangping's waste is on the road to it.
    demo.plan(
        Trip(
            LIANGPING_HOSPITAL,
            WANZHOU_TRANSPORTER,
            WANZHOU_PLANT,
            [_bin("150.000"), _bin("140.000"), _sharps("9.000")],
            packed=hours(3),
            dispatched=hours(1.5),
        )
    )
    # In transit to Tongxing and to Sichuan.
    demo.plan(
        Trip(
            YUBEI_HOSPITAL,
            CENTRAL_TRANSPORTER,
            TONGXING,
            [_bin("298.000"), _sharps("7.500")],
            packed=hours(4),
            dispatched=hours(2),
        )
    )
    pallets = [("900-052-31", Packaging.PALLET, Decimal("1000"), Decimal(kg)) for kg in ("890", "905")]
    demo.plan(Trip(AUTO_REPAIR, HAZMAT_TRANSPORTER, NEIJIANG_LEAD, pallets, packed=hours(5), dispatched=hours(3)))
    # This morning's round, still at the other hospitals.
    for offset, generator in enumerate((YUZHONG_HOSPITAL, SHAPINGBA_HOSPITAL, FULING_HOSPITAL, LIANGPING_HOSPITAL)):
        demo.plan(Trip(generator, "", "", list(MORNING_ROUND), packed=hours(2.5 - offset * 0.25)))
    # Missed by the collection round: 30 h at Qianjiang (overdue), 52 h at Fuling (beyond the legal 48 h).
    demo.plan(Trip(QIANJIANG_HOSPITAL, "", "", [_bin("185.000"), _bin("160.000"), _sharps("6.800")], packed=hours(30)))
    demo.plan(Trip(FULING_HOSPITAL, "", "", [_bin("210.000"), _sharps("5.600")], packed=hours(52)))


async def _emergency_history(demo: Demo, now: datetime) -> None:
    db = demo.db
    today = now.astimezone(db.settings.timezone).date()

    async def on() -> None:
        reason = "冬季流感高峰，分担万州处置中心负荷 (flu season: relieve Wanzhou) — demo"
        await set_plant_active(db.uow(), LIANGPING_EMERGENCY, True, reason, CITY_REGULATOR)

    async def off() -> None:
        reason = "万州负荷回落，应急中心转入备用 (Wanzhou load back to normal) — demo"
        await set_plant_active(db.uow(), LIANGPING_EMERGENCY, False, reason, CITY_REGULATOR)

    demo.timeline.at(_local(today - timedelta(days=LIANGPING_ON), 6, 0, db), on)
    demo.timeline.at(_local(today - timedelta(days=LIANGPING_OFF), 6, 0, db), off)


async def _ensure_quotas(db: Database, now: datetime) -> None:
    """White-list entries for every year the history touches (the fixtures list 2020 and 2026), and the demo's
    transfer approval for contaminated packaging to Zigong."""
    today = now.astimezone(db.settings.timezone).date()
    years = sorted({(today - timedelta(days=HISTORY_DAYS + 1)).year, today.year})
    wanted = (
        ("CQ-SC-001", NEIJIANG_LEAD, "900-052-31", Decimal("20000")),
        ("CQ-SC-002", CHENGDU_EWASTE, "900-045-49", Decimal("3000")),
    )
    for year in years:
        for suffix, receiver, code, tonnes in wanted:
            entry = f"WL-{year}-{suffix}"
            async with db.uow() as uow:
                exists = await uow.session.get(TransferQuota, entry) is not None
            if not exists:
                await create_white_list_entry(
                    db.uow(),
                    CreateWhiteListEntry(
                        id=entry,
                        year=year,
                        origin_province="50",
                        destination_province="51",
                        receiver=receiver,
                        waste_code=code,
                        quantity_t=tonnes,
                    ),
                    SYSTEM,
                )
    number = f"CQ-SC-{today.year}-0007"
    async with db.uow() as uow:
        exists = await uow.session.get(TransferQuota, number) is not None
    if not exists:
        start = today - timedelta(days=200)
        await create_approval(
            db.uow(),
            CreateApproval(
                number=number,
                generator=MACHINERY,
                receiver=ZIGONG_DISPOSAL,
                waste_codes=["900-041-49"],
                method="D10",
                quantity_t=Decimal("12"),
                valid_from=start,
                valid_to=start + timedelta(days=364),
            ),
            SYSTEM,
        )


async def load_demo(db: Database) -> str:
    """Record the demo month once (skipped when the ledger already holds containers)."""
    async with db.uow() as uow:
        existing = (await uow.session.execute(select(func.count()).select_from(Container))).scalar_one()
    if existing:
        return f"demo history: {existing} containers already in the ledger, none added"
    started = time.monotonic()
    now = db.clock()
    clock = DemoClock()
    history = Database(db.settings, engine=db.engine, clock=clock, catalogue=db.catalogue)
    clock.pinned = now - timedelta(days=HISTORY_DAYS + 1)
    await _ensure_quotas(history, now)
    demo = Demo(history)
    _plan_history(demo, now)
    _plan_today(demo, now)
    await _emergency_history(demo, now)
    try:
        await demo.timeline.run(clock)
    except LedgerError as exc:
        raise RuntimeError(f"the demo history failed at {clock.pinned}: {exc.message}") from exc
    # The checks run once, at the real time, so the dashboard opens with alerts.
    counts = {name: await run_check(db, name) for name in CHECKS}
    opened = sum(c["opened"] for c in counts.values())
    async with db.uow() as uow:
        containers = (await uow.session.execute(select(func.count()).select_from(Container))).scalar_one()
        open_now = (
            await uow.session.execute(
                select(func.count()).select_from(Container).where(col(Container.status).not_in(["disposed", "voided"]))
            )
        ).scalar_one()
    manifests = sum(1 for t in demo.trips if t.dispatched is not None)
    return (
        f"demo history: {containers} containers ({open_now} not yet disposed) on {manifests} manifests over"
        f" {HISTORY_DAYS} days; {opened} alerts opened ({time.monotonic() - started:.1f} s)"
    )
