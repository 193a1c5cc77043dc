"""Alerts: list and read within the jurisdiction, acknowledge (签收), assign (交办), close (销号); channels."""

from __future__ import annotations

from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from ledger.actors import Actor
from ledger.monitoring.alerts import (
    AcknowledgeAlert,
    AlertDetail,
    AlertFilters,
    AlertPage,
    AlertPublic,
    AssignAlert,
    CloseAlert,
    OutboxDelivery,
    acknowledge_alert,
    alert_deliveries,
    assign_alert,
    close_alert,
    get_alert,
    list_alerts,
)
from ledger.monitoring.findings import Severity
from ledger.monitoring.subscriptions import (
    SubscriptionCreate,
    SubscriptionPublic,
    add_subscription,
    list_subscriptions,
    remove_subscription,
)
from ledger.queries import DEFAULT_PAGE
from ledger.unit_of_work import Database
from routes.auth import SECURITY


class AlertController(Controller):
    path = "/api/v1/alerts"
    tags = ("alerts",)
    security = SECURITY

    @get("/")
    async def list_alerts(
        self,
        db: NamedDependency[Database],
        actor: NamedDependency[Actor],
        status: FromQuery[str | None] = None,
        kind: FromQuery[str | None] = None,
        severity: FromQuery[Severity | None] = None,
        division: FromQuery[str | None] = None,
        active: FromQuery[bool | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[int] = DEFAULT_PAGE,
    ) -> AlertPage:
        """Alerts in your jurisdiction, newest first (``status=unclosed`` for everything not yet closed)."""
        filters = AlertFilters(status=status, kind=kind, severity=severity, division=division, active=active)
        return await list_alerts(db.uow(), actor, filters, cursor=cursor, limit=limit)

    @get("/{alert_id:int}")
    async def read(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], alert_id: FromPath[int]
    ) -> AlertDetail:
        """One alert with its history: every update, acknowledgement, assignment and the closing, who and when."""
        return await get_alert(db.uow(), alert_id, actor)

    @get("/{alert_id:int}/deliveries")
    async def deliveries(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], alert_id: FromPath[int]
    ) -> list[OutboxDelivery]:
        """Every notification about the alert: channel, recipient, status, attempts, last error."""
        return await alert_deliveries(db.uow(), alert_id, actor)

    @post("/{alert_id:int}/acknowledge", status_code=HTTP_200_OK)
    async def acknowledge(
        self,
        db: NamedDependency[Database],
        actor: NamedDependency[Actor],
        alert_id: FromPath[int],
        data: JSONBody[AcknowledgeAlert],
    ) -> AlertPublic:
        """签收: a regulator of the alert's division has seen it."""
        return await acknowledge_alert(db.uow(), alert_id, data, actor)

    @post("/{alert_id:int}/assign", status_code=HTTP_200_OK)
    async def assign(
        self,
        db: NamedDependency[Database],
        actor: NamedDependency[Actor],
        alert_id: FromPath[int],
        data: JSONBody[AssignAlert],
    ) -> AlertPublic:
        """交办: hand it to the person who rectifies it (a regulator of the division or the subject's own user)."""
        return await assign_alert(db.uow(), alert_id, data, actor)

    @post("/{alert_id:int}/close", status_code=HTTP_200_OK)
    async def close(
        self,
        db: NamedDependency[Database],
        actor: NamedDependency[Actor],
        alert_id: FromPath[int],
        data: JSONBody[CloseAlert],
    ) -> AlertPublic:
        """销号: close it, saying what was done; a problem that persists opens a new alert at the next run."""
        return await close_alert(db.uow(), alert_id, data, actor)

    @get("/subscriptions")
    async def subscriptions(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor]
    ) -> list[SubscriptionPublic]:
        """Your alert channels (administrators: every channel and endpoint)."""
        return await list_subscriptions(db.uow(), actor)

    @post("/subscriptions", status_code=HTTP_201_CREATED)
    async def subscribe(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], data: JSONBody[SubscriptionCreate]
    ) -> SubscriptionPublic:
        """Add a channel (e-mail, SMS, webhook); a webhook's signing secret is in this response only."""
        return await add_subscription(db.uow(), data, actor)

    @delete("/subscriptions/{subscription_id:int}", status_code=HTTP_200_OK)
    async def unsubscribe(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], subscription_id: FromPath[int]
    ) -> SubscriptionPublic:
        return await remove_subscription(db.uow(), subscription_id, actor)
