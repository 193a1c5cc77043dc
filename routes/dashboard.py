"""The regulator's dashboard (指挥舱): server-rendered pages over the same services as the API.

Every page reads through the ledger's services with the logged-in viewer as the actor, so a district's officer
sees the district and the city's sees the city, exactly as through the API. Forms post to thin handlers that
call the same service functions as the API (``set_plant_active``, ``acknowledge_alert``, …), then redirect
back (post/redirect/get), so a reload never repeats an action.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template
from pydantic import ValidationError
from sqlmodel import SQLModel

from ledger.dashboard import (
    assignees,
    emergency_lines,
    load_trend,
    open_medical_containers,
    organisation_names,
    search,
    transfers_overview,
)
from ledger.errors import InvalidIdentifier, InvalidInput, NotFound
from ledger.monitoring.alerts import (
    AcknowledgeAlert,
    AlertFilters,
    AssignAlert,
    CloseAlert,
    acknowledge_alert,
    assign_alert,
    close_alert,
    list_alerts,
)
from ledger.monitoring.clearing import daily_clearing
from ledger.monitoring.plant_load import plant_load
from ledger.plants import PlantSwitch, set_plant_active
from ledger.queries import get_container_for
from ledger.shipments import get_shipment
from ledger.unit_of_work import Database
from routes.charts import clearance_bars, load_bars, trend_chart
from routes.sessions import BROWSER, Viewer, check_csrf, provide_viewer, web_settings

#: Days of clearance rates on the clearing page (two weeks: the rates of last week and the one before).
CLEARING_DAYS = 14
TREND_DAYS = 30


@dataclass
class SwitchForm:
    csrf_token: str = ""
    reason: str = ""


@dataclass
class NoteForm:
    csrf_token: str = ""
    note: str = ""
    assignee: str = ""


Form = Body(media_type=RequestEncodingType.URL_ENCODED)
M = TypeVar("M", bound=SQLModel)


def command(model: type[M], **fields: Any) -> M:
    """A ledger command from form fields; what fails its validation is the user's input, said in a sentence."""
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise InvalidInput(f"{field}: {first['msg']}", field=field) from None


def known_alert(alert_id: int) -> int:
    """An alert id the database can hold; anything else is an alert that does not exist (not a driver error)."""
    if not 0 < alert_id < 2**63:
        raise NotFound(f"alert {alert_id} does not exist", field="id")
    return alert_id


async def _switch_line(
    request: Request[Any, Any, Any], db: Database, viewer: Viewer, uscc: str, data: SwitchForm, *, active: bool
) -> Redirect:
    """The dashboard's emergency-line switch: the form's reason is checked like the API's (PlantSwitch)."""
    check_csrf(request, data.csrf_token)
    await set_plant_active(db.uow(), uscc, active, command(PlantSwitch, reason=data.reason).reason, viewer.actor)
    return Redirect("/dashboard/capacity#emergency", status_code=303)


class DashboardController(Controller):
    """Pages for regulators and administrators; the viewer comes from the session cookie."""

    path = "/dashboard"
    opt = BROWSER
    include_in_schema = False
    dependencies = {"viewer": Provide(provide_viewer)}  # noqa: RUF012 (Litestar's declared layer attribute)

    def page(
        self, request: Request[Any, Any, Any], db: Database, viewer: Viewer, name: str, **context: Any
    ) -> Template:
        """A dashboard page: the layout's context (viewer, navigation, refresh, time of the figures) and ``context``."""
        jurisdiction = viewer.actor.jurisdiction
        division = db.catalogue.divisions.get(jurisdiction) if jurisdiction else None
        return Template(
            f"{name}.html",
            context={
                "viewer": viewer,
                "nav": name,
                "refresh": web_settings(request).refresh_seconds,
                "as_of": db.clock(),
                "jurisdiction": division,
                **context,
            },
        )

    @get("/", name="dashboard")
    async def index(self, viewer: NamedDependency[Viewer]) -> Redirect:
        return Redirect("/dashboard/capacity", status_code=303)

    # --- capacity ------------------------------------------------------------------------------------------

    @get("/capacity")
    async def capacity(
        self, request: Request[Any, Any, Any], db: NamedDependency[Database], viewer: NamedDependency[Viewer]
    ) -> Template:
        """City capacity, each plant's load against its capacity, the 30-day trend, the emergency lines."""
        report = await plant_load(db.uow(), viewer.actor)
        trend = await load_trend(db.uow(), viewer.actor, days=TREND_DAYS)
        lines = await emergency_lines(db.uow(), viewer.actor)
        # Most loaded first, switched-off lines last: what needs attention is at the top of the bars.
        medical = sorted(
            (p for p in report.plants if p.medical),
            key=lambda p: (not p.active, -(p.utilisation or 0), p.name),
        )
        # The city's trend is flat against 99 t/day; the most loaded plant's own trend shows the surge.
        focus = next((p for p in medical if p.level in ("warning", "critical")), None)
        focus_svg = None
        if focus is not None and trend.plants > 1:
            focus_trend = await load_trend(db.uow(), viewer.actor, days=TREND_DAYS, plant=focus.uscc)
            focus_svg = trend_chart(focus_trend.days, f"{focus.name}")
        return self.page(
            request,
            db,
            viewer,
            "capacity",
            report=report,
            medical=medical,
            hazardous=[p for p in report.plants if not p.medical],
            bars=load_bars(medical, report.warn_at, report.critical_at),
            trend=trend,
            trend_svg=trend_chart(trend.days),
            focus=focus,
            focus_svg=focus_svg,
            lines=lines,
            over=[p for p in medical if p.level in ("warning", "critical")],
        )

    @post("/plants/{uscc:str}/activate", status_code=303)
    async def activate(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        viewer: NamedDependency[Viewer],
        uscc: FromPath[str],
        data: Annotated[SwitchForm, Form],
    ) -> Redirect:
        """Switch an emergency line on (the same service as ``POST /api/v1/plants/{uscc}/activate``)."""
        return await _switch_line(request, db, viewer, uscc, data, active=True)

    @post("/plants/{uscc:str}/deactivate", status_code=303)
    async def deactivate(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        viewer: NamedDependency[Viewer],
        uscc: FromPath[str],
        data: Annotated[SwitchForm, Form],
    ) -> Redirect:
        """Switch an emergency line off again."""
        return await _switch_line(request, db, viewer, uscc, data, active=False)

    # --- daily clearing ------------------------------------------------------------------------------------

    @get("/clearing")
    async def clearing(
        self, request: Request[Any, Any, Any], db: NamedDependency[Database], viewer: NamedDependency[Viewer]
    ) -> Template:
        """Overdue medical waste by district and generator, and the clearance rate per day."""
        report = await daily_clearing(db.uow(), viewer.actor, days=CLEARING_DAYS)
        policy = db.settings.monitoring
        return self.page(
            request,
            db,
            viewer,
            "clearing",
            report=report,
            rates_svg=clearance_bars(report.days, policy.clearance_warn_below, policy.clearance_critical_below),
            policy=policy,
        )

    @get("/clearing/containers")
    async def clearing_containers(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        viewer: NamedDependency[Viewer],
        generator: FromQuery[str | None] = None,
        division: FromQuery[str | None] = None,
        overdue: FromQuery[bool] = False,
    ) -> Template:
        """The open medical containers behind a clearing figure (a generator's or a district's)."""
        rows = await open_medical_containers(
            db.uow(), viewer.actor, generator=generator, division=division, overdue_only=overdue
        )
        subject = ""
        if generator is not None:
            async with db.uow().read_only() as uow:
                subject = (await organisation_names(uow, {generator})).get(generator, generator)
        elif division is not None:
            known = db.catalogue.divisions.get(division)
            subject = known.name_zh if known else division
        return self.page(
            request,
            db,
            viewer,
            "clearing_containers",
            rows=rows,
            subject=subject,
            overdue=overdue,
            nav_parent="clearing",
        )

    # --- transfers -----------------------------------------------------------------------------------------

    @get("/transfers")
    async def transfers(
        self, request: Request[Any, Any, Any], db: NamedDependency[Database], viewer: NamedDependency[Viewer]
    ) -> Template:
        """Manifests in transit, delivered but unconfirmed, cross-province, and white-list and approval usage."""
        overview = await transfers_overview(db.uow(), viewer.actor)
        warn = db.settings.monitoring.quota_used_ratio
        used = {q.id: (q.used_t / q.listed_t if q.listed_t else Decimal(0)) for q in overview.quotas}
        return self.page(request, db, viewer, "transfers", overview=overview, used=used, used_warn=warn)

    # --- alerts --------------------------------------------------------------------------------------------

    @get("/alerts")
    async def alerts(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        viewer: NamedDependency[Viewer],
        status: FromQuery[str] = "unclosed",
    ) -> Template:
        """Alerts in the viewer's jurisdiction, most severe first, with the steps of the loop (签收, 交办, 销号)."""
        shown = status if status in ("unclosed", "closed") else "unclosed"
        page = await list_alerts(db.uow(), viewer.actor, AlertFilters(status=shown), limit=200)
        rank = {"critical": 0, "warning": 1, "info": 2}
        items = sorted(page.items, key=lambda a: (rank.get(a.severity, 3), -a.id))
        people = await assignees(db.uow(), viewer.actor, items) if shown == "unclosed" else {}
        return self.page(request, db, viewer, "alerts", alerts=items, people=people, status=shown)

    @post("/alerts/{alert_id:int}/acknowledge", status_code=303)
    async def acknowledge(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        viewer: NamedDependency[Viewer],
        alert_id: FromPath[int],
        data: Annotated[NoteForm, Form],
    ) -> Redirect:
        check_csrf(request, data.csrf_token)
        await acknowledge_alert(
            db.uow(), known_alert(alert_id), command(AcknowledgeAlert, note=data.note), viewer.actor
        )
        return Redirect(f"/dashboard/alerts#alert-{alert_id}", status_code=303)

    @post("/alerts/{alert_id:int}/assign", status_code=303)
    async def assign(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        viewer: NamedDependency[Viewer],
        alert_id: FromPath[int],
        data: Annotated[NoteForm, Form],
    ) -> Redirect:
        check_csrf(request, data.csrf_token)
        step = command(AssignAlert, assignee=data.assignee, note=data.note)
        await assign_alert(db.uow(), known_alert(alert_id), step, viewer.actor)
        return Redirect(f"/dashboard/alerts#alert-{alert_id}", status_code=303)

    @post("/alerts/{alert_id:int}/close", status_code=303)
    async def close(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        viewer: NamedDependency[Viewer],
        alert_id: FromPath[int],
        data: Annotated[NoteForm, Form],
    ) -> Redirect:
        check_csrf(request, data.csrf_token)
        await close_alert(db.uow(), known_alert(alert_id), command(CloseAlert, note=data.note), viewer.actor)
        return Redirect("/dashboard/alerts", status_code=303)

    # --- search and detail pages ---------------------------------------------------------------------------

    @get("/search")
    async def search(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        viewer: NamedDependency[Viewer],
        q: FromQuery[str] = "",
    ) -> Response[Any]:
        """A container code, manifest number, or whatever a scanner read: straight to its page."""
        try:
            hit = await search(db.uow(), viewer.actor, q[:500])
        except (InvalidIdentifier, NotFound) as exc:
            page = self.page(request, db, viewer, "search", q=q, error=exc.message)
            page.status_code = 404 if isinstance(exc, NotFound) else 400
            return page
        target = "containers" if hit.kind == "container" else "manifests"
        return Redirect(f"/dashboard/{target}/{hit.key}", status_code=303)

    @get("/containers/{code:str}")
    async def container(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        viewer: NamedDependency[Viewer],
        code: FromPath[str],
    ) -> Template:
        """One container with its hash-chained history (regulators see weights and who acted)."""
        detail = await get_container_for(db.uow(), code, viewer.actor)
        c = detail.container
        async with db.uow().read_only() as uow:
            names = await organisation_names(uow, {p for p in (c.generator, c.custodian, c.plant) if p})
        return self.page(request, db, viewer, "container", detail=detail, names=names, nav_parent="search")

    @get("/manifests/{number:str}")
    async def manifest(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        viewer: NamedDependency[Viewer],
        number: FromPath[str],
    ) -> Template:
        """One manifest: parties, signatures, containers, receipt, and the link its printed QR code carries."""
        # Outside the viewer's scope reads exactly like unknown: load_shipment raises the same NotFound.
        detail = await get_shipment(db.uow(), number, viewer.actor)
        s = detail.shipment
        async with db.uow().read_only() as uow:
            names = await organisation_names(uow, {s.generator, s.transporter, s.receiver})
        return self.page(request, db, viewer, "manifest", detail=detail, names=names, nav_parent="search")


def local_time(moment: datetime | None, tz: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC instant as local wall time in the ledger's zone (pages speak local time)."""
    return "" if moment is None else moment.astimezone(tz).strftime(fmt)
