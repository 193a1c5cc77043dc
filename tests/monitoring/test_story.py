"""The bureau's 2020 story, as a test that reads like the story (also told in docs/monitoring.md).

Chongqing's centralised medical-waste disposal ran at 99 t/day. An epidemic surge sends 6 t in one day to the
Wanzhou plant (5 t/day). The plant-load check raises a critical alert; the Wanzhou and city officials get it by
e-mail and text message, the city platform by a signed webhook. The city regulator switches on the Liangping
emergency centre and the backup lines (111 t/day); the next day Wanzhou's waste goes to Liangping, Wanzhou
clears its backlog, the check finds the problem gone, and the Wanzhou official closes the alert (销号).
"""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from decimal import Decimal

from jobs.channels import SIGNATURE_HEADER, verify
from jobs.scheduler import run_named_job
from jobs.settings import JobsSettings
from ledger.accounts import load_demo_users
from ledger.actors import SYSTEM
from ledger.integrity import verify_ledger
from ledger.monitoring.alerts import (
    AcknowledgeAlert,
    AlertFilters,
    AssignAlert,
    CloseAlert,
    acknowledge_alert,
    assign_alert,
    close_alert,
    get_alert,
    list_alerts,
)
from ledger.monitoring.job_runs import list_job_runs
from ledger.monitoring.plant_load import plant_load
from ledger.monitoring.subscriptions import SubscriptionCreate, add_subscription
from ledger.plants import set_plant_active
from ledger.unit_of_work import Database
from tests.conftest import FakeClock
from tests.monitoring.helpers import (
    EMERGENCY_LINES,
    LIANGPING_PLANT,
    TONGXING,
    WANZHOU_HOSPITAL,
    WANZHOU_PLANT,
    WANZHOU_TRANSPORTER,
    city_regulator,
    dispose,
    http_receiver,
    register,
    ship,
    smtp_server,
    wanzhou_regulator,
)


def slot(clock: FakeClock) -> str:
    return clock.now.strftime("%Y-%m-%dT%H:%M:%SZ")


async def test_2020_surge_at_wanzhou_relieved_by_liangping_and_the_backup_lines(db: Database, clock: FakeClock) -> None:
    with http_receiver() as platform, http_receiver() as sms_gateway, smtp_server() as (mailbox, smtp_port):
        jobs = JobsSettings(smtp_host="127.0.0.1", smtp_port=smtp_port, sms_gateway_url=sms_gateway.url + "/sms")
        await load_demo_users(db.uow())
        hook = await add_subscription(
            db.uow(), SubscriptionCreate(channel="webhook", target=platform.url + "/alerts", endpoint=True), SYSTEM
        )
        assert hook.secret is not None

        # Before the epidemic: 15 plants, 99 t/day; five emergency lines (12 t/day) are off.
        report = await plant_load(db.uow(), city_regulator)
        assert (report.city_capacity_t, report.emergency_reserve_t) == (Decimal("99.000"), Decimal("12.000"))

        # Friday 10:00: the surge. The Wanzhou hospital packs sixty 100-kg boxes, 6 t; all go to Wanzhou.
        boxes = await register(db, WANZHOU_HOSPITAL, 60, kg="100.000")
        clock.advance(hours=1)
        await ship(db, WANZHOU_HOSPITAL, WANZHOU_TRANSPORTER, WANZHOU_PLANT, boxes)

        # The plant-load job finds Wanzhou at 120 % of its 5 t/day.
        clock.advance(minutes=30)
        run = await run_named_job(db, "plant_load", jobs, slot=slot(clock), trigger="schedule")
        assert (run.outcome, run.counts["opened"]) == ("ok", 1)
        [alert] = (await list_alerts(db.uow(), wanzhou_regulator, AlertFilters(status="unclosed"))).items
        assert (alert.kind, alert.severity, alert.subject_id, alert.division) == (
            "plant_overload",
            "critical",
            WANZHOU_PLANT,
            "500101",
        )
        assert (alert.figures["load_t"], alert.figures["capacity_t"], alert.figures["utilisation"]) == (
            "6.000",
            "5.000",
            "1.2000",
        )
        suggested = {s["uscc"]: s["action"] for s in alert.figures["suggestions"]}
        assert suggested[TONGXING] == "redirect" and suggested[LIANGPING_PLANT] == "activate"

        # The delivery job: the platform's webhook (signed), e-mail and a text to the responsible officials.
        delivered = await run_named_job(db, "deliver_outbox", jobs, slot=slot(clock), trigger="schedule")
        assert delivered.counts == {"sent": 5, "retried": 0, "dead": 0}
        [notice] = platform.posts("/alerts")
        assert verify(hook.secret, notice.headers[SIGNATURE_HEADER], notice.body)
        assert notice.json()[0]["action"] == "alert.opened" and notice.json()[0]["id"] == alert.id
        for official in ("wanzhou.regulator", "cq.regulator"):
            [mail] = mailbox.to(f"{official}@example.test")
            subject = str(email.message_from_string(mail["data"], policy=email.policy.default)["Subject"])
            assert "万州区医疗废物集中处置中心" in subject and "120%" in subject
        assert sorted(r.json()["to"] for r in sms_gateway.posts("/sms")) == ["+86 138 0000 0001", "+86 138 0000 0002"]

        # The Wanzhou official acknowledges; the city regulator switches on Liangping and the backup lines.
        await acknowledge_alert(db.uow(), alert.id, AcknowledgeAlert(note="收到，已联系处置中心"), wanzhou_regulator)
        for line in EMERGENCY_LINES:
            await set_plant_active(db.uow(), line, True, "疫情期间医疗废物应急处置 (2020 epidemic)", city_regulator)
        report = await plant_load(db.uow(), city_regulator)
        assert (report.city_capacity_t, report.emergency_reserve_t) == (Decimal("111.000"), Decimal("0.000"))
        await assign_alert(
            db.uow(),
            alert.id,
            AssignAlert(assignee="wanzhou.operator", note="今日满负荷运行，余量明日清零"),
            city_regulator,
        )

        # Wanzhou burns 5 t that day: 1 t is left over, still 120 % of the day's capacity.
        clock.set(datetime(2026, 12, 4, 12, 0, tzinfo=UTC))  # 20:00
        await dispose(db, WANZHOU_PLANT, boxes[:50])
        run = await run_named_job(db, "plant_load", jobs, slot=slot(clock), trigger="schedule")
        assert (run.counts["updated"], run.counts["escalated"], run.counts["notifications"]) == (1, 0, 0)
        figures = (await get_alert(db.uow(), alert.id, wanzhou_regulator)).alert.figures
        assert (figures["disposed_t"], figures["backlog_t"], figures["utilisation"]) == ("5.000", "1.000", "1.2000")

        # Saturday: Wanzhou clears the last tonne; the hospital's 2 t of the day go to Liangping instead.
        clock.set(datetime(2026, 12, 5, 1, 0, tzinfo=UTC))  # 09:00
        await dispose(db, WANZHOU_PLANT, boxes[50:])
        todays = await register(db, WANZHOU_HOSPITAL, 20, kg="100.000")
        await ship(db, WANZHOU_HOSPITAL, WANZHOU_TRANSPORTER, LIANGPING_PLANT, todays)
        clock.advance(minutes=30)
        run = await run_named_job(db, "plant_load", jobs, slot=slot(clock), trigger="schedule")
        assert (run.counts["cleared"], run.counts["opened"]) == (1, 0)
        report = await plant_load(db.uow(), city_regulator)
        loads = {p.uscc: (p.load_t, p.level) for p in report.plants}
        assert loads[WANZHOU_PLANT] == (Decimal("1.000"), "ok")
        assert loads[LIANGPING_PLANT] == (Decimal("2.000"), "ok")
        assert report.city_capacity_t == Decimal("111.000")

        # 销号: the Wanzhou official closes the alert, saying what was done.
        closed = await close_alert(
            db.uow(), alert.id, CloseAlert(note="梁平应急处置中心分流，万州积压已清零"), wanzhou_regulator
        )
        assert (closed.status, closed.active) == ("closed", False)
        history = (await get_alert(db.uow(), alert.id, city_regulator)).history
        assert [(e.type, e.actor_user) for e in history] == [
            ("alert.opened", "system"),
            ("alert.acknowledged", "wanzhou.regulator"),
            ("alert.assigned", "cq.regulator"),
            ("alert.updated", "system"),
            ("alert.cleared", "system"),
            ("alert.closed", "wanzhou.regulator"),
        ]
        await run_named_job(db, "deliver_outbox", jobs, slot=slot(clock), trigger="schedule")
        actions = [r.json()[0]["action"] for r in platform.posts("/alerts")]
        assert actions == ["alert.opened", "alert.acknowledged", "alert.assigned", "alert.cleared", "alert.closed"]

        # Every run is on record; the ledger still verifies end to end.
        runs = await list_job_runs(db.uow(), city_regulator)
        assert [(r.job, r.outcome) for r in runs][:2] == [("deliver_outbox", "ok"), ("plant_load", "ok")]
        assert (await verify_ledger(db.uow())).ok
