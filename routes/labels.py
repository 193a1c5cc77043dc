"""Label PDFs: one container's label, or a sheet for a list of codes (A4 or thermal roll)."""

from __future__ import annotations

from typing import Literal

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK
from sqlmodel import Field, SQLModel

from ledger.actors import Actor
from ledger.labelling import MAX_SHEET
from ledger.unit_of_work import Database
from routes.auth import SECURITY
from wasteledger.printing import label_pdf, label_sheet_pdf

Sheet = Literal["a4", "thermal"]


class LabelSheet(SQLModel):
    codes: list[str] = Field(min_length=1, max_length=MAX_SHEET)
    sheet: Sheet = "a4"


def pdf(content: bytes, name: str) -> Response[bytes]:
    return Response(
        content, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'}
    )


class LabelController(Controller):
    path = "/api/v1"
    tags = ("labels",)
    security = SECURITY

    @get("/containers/{code:str}/label.pdf", media_type="application/pdf")
    async def label(
        self,
        db: NamedDependency[Database],
        actor: NamedDependency[Actor],
        code: FromPath[str],
        sheet: FromQuery[Sheet] = "thermal",
    ) -> Response[bytes]:
        """One container's label (100×100 mm thermal page by default)."""
        return pdf(await label_pdf(db, code, actor, sheet=sheet), f"label-{code}.pdf")

    @post("/labels", status_code=HTTP_200_OK, media_type="application/pdf")
    async def sheet(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], data: JSONBody[LabelSheet]
    ) -> Response[bytes]:
        """A sheet of labels for the codes given, in that order."""
        return pdf(await label_sheet_pdf(db, data.codes, actor, sheet=data.sheet), "labels.pdf")
