"""Scans: what a scanner read from a label, one at a time or a batch from an offline scanner."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.datastructures import State
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK
from sqlmodel import Field, SQLModel

from ledger.accounts import PresentedToken
from ledger.scans import MAX_BATCH, ScanIn, ScanResult, record_scan, record_scans
from routes.auth import SECURITY, TOKEN_CHECKED_BY_USE_CASE
from routes.problems import problem_body

#: A scan request: no actor yet (``user``), the bearer token to look up in the scan's own read (``auth``).
ScanRequest = Request[None, PresentedToken, State]


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

    @post("/", status_code=HTTP_200_OK)
    async def scan(self, request: ScanRequest, data: JSONBody[ScanIn]) -> ScanResult:
        """Record one scan; sending the same scan id again returns the first answer (``duplicate: true``)."""
        # The hot path takes the database and the token straight from the request: resolving two dependencies
        # side by side costs Litestar a task group per request, a tenth of a scan's CPU time.
        return await record_scan(request.app.state.db, data, request.auth)

    @post("/batch", status_code=HTTP_200_OK)
    async def batch(self, request: ScanRequest, data: JSONBody[ScanBatch]) -> ScanBatchAnswer:
        """Up to 1,000 scans, each answered on its own: one bad scan does not sink the others."""
        outcomes = await record_scans(request.app.state.db, data.scans, request.auth)
        answers: list[dict[str, Any]] = []
        for scan, outcome in zip(data.scans, outcomes, strict=True):
            if isinstance(outcome, ScanResult):
                answers.append({"scan_id": str(scan.scan_id), "result": outcome.model_dump(mode="json")})
            else:
                answers.append({"scan_id": str(scan.scan_id), "problem": problem_body(outcome)})
        failed = sum("problem" in a for a in answers)
        return ScanBatchAnswer(recorded=len(answers) - failed, failed=failed, answers=answers)
