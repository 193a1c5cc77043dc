"""Other deadlines: manifests unconfirmed after 5 working days, quotas expiring or ≥ 90 % used, storage > 2 days."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from ledger.monitoring.deadlines import check_deadlines
from ledger.monitoring.findings import Finding
from ledger.shipments import SignReceipt, sign_receipt
from ledger.transfers import CreateApproval, CreateWhiteListEntry, create_approval, create_white_list_entry
from ledger.unit_of_work import Database
from tests.conftest import FakeClock
from tests.monitoring.helpers import (
    AUTO_REPAIR,
    CENTRAL_TRANSPORTER,
    CHENGDU_EWASTE,
    HAZMAT_TRANSPORTER,
    NEIJIANG_LEAD,
    TONGXING,
    YUZHONG_HOSPITAL,
    actor,
    city_regulator,
    receive_all,
    register,
    ship,
)


async def findings(db: Database, kind: str) -> list[Finding]:
    return [f for f in (await check_deadlines(db.uow())).findings if f.kind == kind]


async def test_manifest_unconfirmed_after_five_working_days(db: Database, clock: FakeClock) -> None:
    # Delivered on Friday 2026-12-04; five working days later is Friday the 11th.
    bags = await register(db, YUZHONG_HOSPITAL, 2, kg="4.000")
    number = await ship(db, YUZHONG_HOSPITAL, CENTRAL_TRANSPORTER, TONGXING, bags, receive=False)
    clock.set(datetime(2026, 12, 11, 15, 59, tzinfo=UTC))  # 23:59 on the 11th, local
    assert await findings(db, "manifest_unconfirmed") == []

    clock.set(datetime(2026, 12, 11, 16, 1, tzinfo=UTC))  # 00:01 on Saturday the 12th
    [late] = await findings(db, "manifest_unconfirmed")
    assert (late.subject_kind, late.subject_id, late.division, late.severity) == (
        "manifest",
        number,
        "500109",
        "warning",
    )
    assert late.figures["confirm_by"] == "2026-12-11"

    # The plant scans and signs at last: nothing is late any more.
    await receive_all(db, number, TONGXING, bags)
    await sign_receipt(db.uow(), number, SignReceipt(note="late"), actor(TONGXING))
    assert await findings(db, "manifest_unconfirmed") == []


async def test_quotas_expiring_within_30_days_or_90_percent_used(db: Database, clock: FakeClock) -> None:
    # A 2026 white-list line expires on 31 December: 27 days left on 4 December.
    await create_white_list_entry(
        db.uow(),
        CreateWhiteListEntry(
            id="WL-2026-EWASTE",
            year=2026,
            origin_province="50",
            destination_province="51",
            receiver=CHENGDU_EWASTE,
            category="HW49",
            quantity_t=Decimal("10"),
        ),
        city_regulator,
    )
    # An approval for lead batteries, valid a year: not expiring, but 0.9 of its 1 t is shipped.
    await create_approval(
        db.uow(),
        CreateApproval(
            number="CQ-SC-2026-0042",
            generator=AUTO_REPAIR,
            receiver=NEIJIANG_LEAD,
            waste_codes=["900-052-31"],
            quantity_t=Decimal("1"),
            valid_from=date(2026, 12, 1),
            valid_to=date(2027, 11, 30),
        ),
        city_regulator,
    )
    [expiring] = await findings(db, "quota_expiring")
    assert (expiring.subject_id, expiring.figures["days_left"], expiring.division) == ("WL-2026-EWASTE", 27, "500000")
    assert await findings(db, "quota_used") == []

    pallets = await register(db, AUTO_REPAIR, 1, kg="890.000", waste_code="900-052-31")
    await ship(db, AUTO_REPAIR, HAZMAT_TRANSPORTER, NEIJIANG_LEAD, pallets, arrive=False)
    assert await findings(db, "quota_used") == []  # 89 %

    more = await register(db, AUTO_REPAIR, 1, kg="10.000", waste_code="900-052-31")
    await ship(db, AUTO_REPAIR, HAZMAT_TRANSPORTER, NEIJIANG_LEAD, more, arrive=False)
    [used] = await findings(db, "quota_used")
    assert (used.subject_id, used.severity, used.figures["used_ratio"]) == ("CQ-SC-2026-0042", "warning", "0.9000")

    rest = await register(db, AUTO_REPAIR, 1, kg="100.000", waste_code="900-052-31")
    await ship(db, AUTO_REPAIR, HAZMAT_TRANSPORTER, NEIJIANG_LEAD, rest, arrive=False)
    [used] = await findings(db, "quota_used")
    assert used.severity == "critical" and used.figures["remaining_t"] == "0.000"

    # In the new year the white-list line is no longer valid: nothing to warn about.
    clock.set(datetime(2027, 1, 2, 4, tzinfo=UTC))
    assert await findings(db, "quota_expiring") == []


async def test_storage_beyond_two_days_medical_and_a_year_other(db: Database, clock: FakeClock) -> None:
    await register(db, YUZHONG_HOSPITAL, 2, kg="6.000")
    await register(db, AUTO_REPAIR, 1, kg="300.000", waste_code="900-052-31")
    clock.advance(hours=47, minutes=59)
    assert await findings(db, "storage_exceeded") == []

    clock.advance(minutes=2)
    [stored] = await findings(db, "storage_exceeded")
    assert (stored.subject_id, stored.severity, stored.figures["medical_count"], stored.figures["medical_kg"]) == (
        YUZHONG_HOSPITAL,
        "critical",
        2,
        "12.000",
    )

    clock.advance(days=365)
    by_generator = {f.subject_id: f for f in await findings(db, "storage_exceeded")}
    assert by_generator[AUTO_REPAIR].figures["hazardous_count"] == 1
    assert by_generator[AUTO_REPAIR].division == "500107"
