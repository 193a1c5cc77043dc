"""Scans: what a scanner read from a label, one at a time or a batch from an offline scanner."""

from __future__ import annotations

from typing import Any

from litestar import Controller, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK
from sqlmodel import Field, SQLModel

from ledger.accounts import PresentedToken
from ledger.scans import MAX_BATCH, ScanIn, ScanResult, record_scan, record_scans
from ledger.unit_of_work import Database
from routes.auth import SECURITY, TOKEN_CHECKED_BY_USE_CASE, provide_token
from routes.problems import problem_body


class ScanBatch(SQLModel):
    scans: list[ScanIn] = Field(min_length=1, max_length=MAX_BATCH)


class ScanBatchAnswer(SQLModel):
    """One answer per scan, in the order sent: ``result`` or ``problem`` (RFC 9457 problem details)."""

    recorded: int
    failed: int
    answers: list[dict[str, Any]]


class ScanController(Controller):
    path = "/api/v1/scans"
    tags = ("scans",)
    security = SECURITY
    opt = TOKEN_CHECKED_BY_USE_CASE
    dependencies = {"token": Provide(provide_token)}  # noqa: RUF012 (Litestar's own class attribute)

    @post("/", status_code=HTTP_200_OK)
    async def scan(
        self, db: NamedDependency[Database], token: NamedDependency[PresentedToken], data: JSONBody[ScanIn]
    ) -> ScanResult:
        """Record one scan; sending the same scan id again returns the first answer (``duplicate: true``)."""
        return await record_scan(db, data, token)

    @post("/batch", status_code=HTTP_200_OK)
    async def batch(
        self, db: NamedDependency[Database], token: NamedDependency[PresentedToken], data: JSONBody[ScanBatch]
    ) -> ScanBatchAnswer:
        """Up to 1,000 scans, each answered on its own: one bad scan does not sink the others."""
        outcomes = await record_scans(db, data.scans, token)
        answers: list[dict[str, Any]] = []
        for scan, outcome in zip(data.scans, outcomes, strict=True):
            if isinstance(outcome, ScanResult):
                answers.append({"scan_id": str(scan.scan_id), "result": outcome.model_dump(mode="json")})
            else:
                answers.append({"scan_id": str(scan.scan_id), "problem": problem_body(outcome)})
        failed = sum("problem" in a for a in answers)
        return ScanBatchAnswer(recorded=len(answers) - failed, failed=failed, answers=answers)
