"""Other deadlines: manifests the receiver has not confirmed, white-list entries and approvals running out,
and waste kept at its generator beyond the storage limit.

- A receiver confirms a manifest within 5 working days of delivery (部令第23号 art.18;
  ``ShipmentPublic.confirm_by``); a delivered manifest still unsigned after that day is overdue.
- A white-list entry or approval that expires within ``quota_expiry_days``, or has used ``quota_used_ratio``
  of its quantity, needs a new application before shipments stop (DOMAIN.md §6).
- Medical waste stays at the generator at most 2 days (医疗废物管理条例); other hazardous waste at most a year.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, false, func, or_, select, text, true
from sqlmodel import col

from ledger.lifecycle import ContainerStatus
from ledger.monitoring.findings import CheckResult, Finding, Severity
from ledger.shipments import CONFIRMATION_WORKING_DAYS, ShipmentStatus, add_working_days
from ledger.tables import CONTAINER_OPEN_PREDICATE, Container, Organisation, Shipment, TransferQuota
from ledger.unit_of_work import UnitOfWork
from ledger.units import g_to_kg, g_to_t

CHECK = "deadlines"
KIND_MANIFEST = "manifest_unconfirmed"
KIND_QUOTA_EXPIRING = "quota_expiring"
KIND_QUOTA_USED = "quota_used"
KIND_STORAGE = "storage_exceeded"

S = ContainerStatus


async def _names(uow: UnitOfWork, usccs: set[str]) -> dict[str, str]:
    if not usccs:
        return {}
    rows = await uow.session.execute(
        select(col(Organisation.uscc), col(Organisation.name_zh)).where(col(Organisation.uscc).in_(sorted(usccs)))
    )
    return {uscc: name for uscc, name in rows.all()}


async def unconfirmed_manifests(uow: UnitOfWork, today: date) -> list[Finding]:
    """Delivered manifests whose receiver has not signed by the 5th working day after delivery."""
    rows = list(
        (
            await uow.session.execute(select(Shipment).where(col(Shipment.status) == ShipmentStatus.DELIVERED.value))
        ).scalars()
    )
    tz = uow.settings.timezone
    late = []
    for row in rows:
        if row.delivered_at is None:
            continue
        confirm_by = add_working_days(row.delivered_at.astimezone(tz).date(), CONFIRMATION_WORKING_DAYS)
        if today > confirm_by:
            late.append((row, confirm_by))
    names = await _names(uow, {row.receiver_uscc for row, _ in late} | {row.generator_uscc for row, _ in late})
    findings = []
    for row, confirm_by in late:
        assert row.delivered_at is not None
        receiver = names.get(row.receiver_uscc, row.receiver_uscc)
        findings.append(
            Finding(
                kind=KIND_MANIFEST,
                dedupe_key=f"{KIND_MANIFEST}:manifest:{row.number}",
                severity=Severity.WARNING,
                subject_kind="manifest",
                subject_id=row.number,
                subject_name=f"{names.get(row.generator_uscc, row.generator_uscc)} → {receiver}",
                division=row.destination_division,
                title=f"联单 {row.number}: {receiver} 未在 {confirm_by} 前确认接收"
                f" (not confirmed by the receiver by {confirm_by})",
                figures={
                    "receiver": row.receiver_uscc,
                    "generator": row.generator_uscc,
                    "delivered_at": row.delivered_at.isoformat(),
                    "confirm_by": confirm_by.isoformat(),
                    "declared_kg": str(g_to_kg(row.declared_g)),
                },
            )
        )
    return findings


async def quota_findings(uow: UnitOfWork, today: date) -> list[Finding]:
    """Valid entries and approvals expiring soon, or mostly used."""
    policy = uow.settings.monitoring
    horizon = today + timedelta(days=policy.quota_expiry_days)
    rows = list(
        (
            await uow.session.execute(
                select(TransferQuota).where(
                    col(TransferQuota.revoked).is_(False),
                    col(TransferQuota.valid_from) <= today,
                    col(TransferQuota.valid_to) >= today,
                )
            )
        ).scalars()
    )
    names = await _names(uow, {row.receiver_uscc for row in rows})
    findings = []
    for row in rows:
        what = "白名单" if row.kind == "white_list" else "跨省转移审批"
        receiver = names.get(row.receiver_uscc, row.receiver_uscc)
        figures: dict[str, Any] = {
            "kind": row.kind,
            "receiver": row.receiver_uscc,
            "listed_t": str(g_to_t(row.quantity_g)),
            "used_t": str(g_to_t(row.used_g)),
            "remaining_t": str(g_to_t(row.quantity_g - row.used_g)),
            "valid_to": row.valid_to.isoformat(),
        }
        division = f"{row.origin_province}0000"
        if row.valid_to <= horizon:
            days_left = (row.valid_to - today).days
            findings.append(
                Finding(
                    kind=KIND_QUOTA_EXPIRING,
                    dedupe_key=f"{KIND_QUOTA_EXPIRING}:quota:{row.id}",
                    severity=Severity.WARNING,
                    subject_kind="quota",
                    subject_id=row.id,
                    subject_name=f"{what} {row.id} ({receiver})",
                    division=division,
                    title=f"{what} {row.id} 将于 {row.valid_to} 到期, 剩余 {days_left} 天"
                    f" (expires in {days_left} days)",
                    figures={**figures, "days_left": days_left},
                )
            )
        used = Decimal(row.used_g) / Decimal(row.quantity_g) if row.quantity_g else Decimal(0)
        if used >= policy.quota_used_ratio:
            findings.append(
                Finding(
                    kind=KIND_QUOTA_USED,
                    dedupe_key=f"{KIND_QUOTA_USED}:quota:{row.id}",
                    severity=Severity.CRITICAL if row.used_g >= row.quantity_g else Severity.WARNING,
                    subject_kind="quota",
                    subject_id=row.id,
                    subject_name=f"{what} {row.id} ({receiver})",
                    division=division,
                    title=f"{what} {row.id} 已使用 {used:.0%} (used {used:.0%} of {g_to_t(row.quantity_g)} t)",
                    figures={**figures, "used_ratio": str(used.quantize(Decimal("0.0001")))},
                )
            )
    return findings


async def storage_findings(uow: UnitOfWork) -> list[Finding]:
    """Generators keeping containers beyond the storage limit (2 days medical, 1 year other hazardous)."""
    policy = uow.settings.monitoring
    now = uow.now()
    medical_cut = now - timedelta(hours=policy.medical_storage_hours)
    hazardous_cut = now - timedelta(days=policy.hazardous_storage_days)
    medical = col(Container.medical)
    registered = col(Container.registered_at)
    query = (
        select(
            col(Container.generator_uscc),
            col(Container.division),
            medical,
            func.count(),
            func.sum(col(Container.weight_g)),
            func.min(registered),
        )
        .where(
            text(CONTAINER_OPEN_PREDICATE),
            col(Container.status).in_([S.REGISTERED.value, S.RETURNED.value]),
            or_(
                and_(medical == true(), registered < medical_cut),
                and_(medical == false(), registered < hazardous_cut),
            ),
        )
        .group_by(col(Container.generator_uscc), col(Container.division), medical)
    )
    per_generator: dict[tuple[str, str], dict[str, Any]] = defaultdict(
        lambda: {"medical_count": 0, "medical_kg": "0.000", "hazardous_count": 0, "hazardous_kg": "0.000"}
    )
    oldest: dict[tuple[str, str], Any] = {}
    for uscc, division, is_medical, count, grams, first in (await uow.session.execute(query)).all():
        figures = per_generator[(uscc, division)]
        prefix = "medical" if is_medical else "hazardous"
        figures[f"{prefix}_count"] = int(count)
        figures[f"{prefix}_kg"] = str(g_to_kg(int(grams or 0)))
        key = (uscc, division)
        oldest[key] = first if key not in oldest else min(oldest[key], first)
    names = await _names(uow, {uscc for uscc, _ in per_generator})
    findings = []
    for (uscc, division), figures in sorted(per_generator.items()):
        name = names.get((uscc), uscc)
        figures = {
            **figures,
            "oldest_registered_at": oldest[(uscc, division)].isoformat(),
            "medical_limit_hours": policy.medical_storage_hours,
            "hazardous_limit_days": policy.hazardous_storage_days,
        }
        count = figures["medical_count"] + figures["hazardous_count"]
        findings.append(
            Finding(
                kind=KIND_STORAGE,
                dedupe_key=f"{KIND_STORAGE}:generator:{uscc}",
                severity=Severity.CRITICAL,
                subject_kind="generator",
                subject_id=uscc,
                subject_name=name,
                division=division,
                title=f"{name} 有 {count} 件危险废物超期贮存"
                f" ({figures['medical_count']} medical beyond {policy.medical_storage_hours} h,"
                f" {figures['hazardous_count']} other beyond {policy.hazardous_storage_days} days)",
                figures=figures,
            )
        )
    return findings


async def check_deadlines(uow: UnitOfWork) -> CheckResult:
    """Findings of every deadline check (one read transaction)."""
    async with uow:
        today = uow.now().astimezone(uow.settings.timezone).date()
        findings = await unconfirmed_manifests(uow, today)
        findings += await quota_findings(uow, today)
        findings += await storage_findings(uow)
    return CheckResult(CHECK, frozenset({KIND_MANIFEST, KIND_QUOTA_EXPIRING, KIND_QUOTA_USED, KIND_STORAGE}), findings)
