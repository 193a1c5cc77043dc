"""Transfer manifest (转移联单) PDF: every party's fields, signatures, containers, and a verification QR per page."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any, Final
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.doctemplate import BaseDocTemplate

from labels.codes import format_code, manifest_qr_payload
from labels.fonts import FontChoice, cjk_font
from labels.models import Decision, ManifestDocument, Party, Signature
from labels.qr import MANIFEST_EC, draw_qr, qr_matrix
from labels.symbols import hazard_text
from labels.text import MM, draw_bold

CHINA_TZ: Final = ZoneInfo("Asia/Shanghai")
PAGE_MARGIN: Final = 12 * MM
HEADER_HEIGHT: Final = 31 * MM
FOOTER_HEIGHT: Final = 12 * MM
QR_SIDE: Final = 27 * MM  # with quiet zone: ~0.5 mm modules for the version-7 symbol a 64-hex hash needs
GRID: Final = colors.Color(0.35, 0.35, 0.35)
SHADE: Final = colors.Color(0.92, 0.92, 0.92)
STRIPE: Final = colors.Color(0.965, 0.965, 0.965)

DECISIONS: Final[dict[Decision, str]] = {
    Decision.ACCEPTED: "接受 Accepted",
    Decision.PARTIALLY_REFUSED: "部分拒收 Partially refused",
    Decision.REFUSED: "拒收 Refused",
}
STATUSES: Final[dict[str, str]] = {
    "registered": "已登记 registered",
    "collected": "已收运 collected",
    "received": "已接收 received",
    "refused": "已拒收 refused",
    "disposed": "已处置 disposed",
    "voided": "已作废 voided",
}
CONTAINER_HEADER: Final = (
    "序号 #",
    "识别码 Container code",
    "废物代码 Waste",
    "申报 Declared kg",
    "接收 Received kg",
    "状态 Status",
)
CONTAINER_WIDTHS: Final = (11 * MM, 66 * MM, 22 * MM, 24 * MM, 24 * MM, 39 * MM)


def kg(value: Decimal | None) -> str:
    """Weight as printed: at least two decimals, never rounded away, '—' when not weighed."""
    if value is None:
        return "—"
    if value == value.quantize(Decimal("0.01")):
        return f"{value:,.2f}"
    return f"{value:,f}"


def local_time(value: datetime | None, tz: tzinfo) -> str:
    """Timestamp in local time with its offset, or the 'not signed' mark."""
    if value is None:
        return "未签 not signed"
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M %z").replace("+0800", "+08:00")


@dataclass(frozen=True, slots=True)
class _Styles:
    font: str
    body: ParagraphStyle
    small: ParagraphStyle
    section: ParagraphStyle


def _styles(font: str) -> _Styles:
    body = ParagraphStyle("body", fontName=font, fontSize=8, leading=10, wordWrap="CJK")
    return _Styles(
        font=font,
        body=body,
        small=ParagraphStyle("small", parent=body, fontSize=7, leading=8.6),
        section=ParagraphStyle("section", parent=body, fontSize=9.5, leading=12, spaceBefore=3, spaceAfter=1.5),
    )


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


CELL_PADDING: Final = 6  # left + right padding of every grid cell
KEY_SIZE: Final = 7


def _k(text: str, font: str, width: float = 34 * MM) -> str:
    """A key cell ("中文 English"): on two lines when one is too narrow."""
    if stringWidth(text, font, KEY_SIZE) <= width - CELL_PADDING:
        return text
    return text.replace(" ", "\n", 1)


def _v(text: str, style: ParagraphStyle, width: float) -> str | Paragraph:
    """A value cell: a plain string when it fits on one line, else a wrapping Paragraph.

    Paragraphs are wrapped several times per build (sizing, splitting, drawing); plain strings are not, which
    keeps a manifest's fixed part cheap next to its container table.
    """
    if "\n" not in text and stringWidth(text, style.fontName, style.fontSize) <= width - CELL_PADDING:
        return text
    return _p(text, style)


def _words(text: str, style: ParagraphStyle, width: float) -> str | Paragraph:
    """A value cell of bilingual items ("固态 solid"), one per line: an item too wide for the cell goes on two
    lines at its first space, so words are not cut mid-way as CJK wrapping would."""
    room = width - CELL_PADDING
    lines = [
        line if stringWidth(line, style.fontName, style.fontSize) <= room else line.replace(" ", "\n", 1)
        for line in text.split("\n")
    ]
    return _v("\n".join(lines), style, width)


def _grid_style(font: str, *, header_rows: int = 1, key_column: bool = False) -> list[tuple[Any, ...]]:
    style: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, -1), font, 8, 10),
        ("GRID", (0, 0), (-1, -1), 0.4, GRID),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    if header_rows:
        style.append(("BACKGROUND", (0, 0), (-1, header_rows - 1), SHADE))
    if key_column:
        style.append(("BACKGROUND", (0, 0), (0, -1), SHADE))
        style.append(("FONT", (0, 0), (0, -1), font, 7, 8.6))
    if header_rows:
        style.append(("FONT", (0, 0), (-1, header_rows - 1), font, 7, 8.6))
    return style


def _section(title: str, styles: _Styles) -> Paragraph:
    return Paragraph(f"<b>{escape(title)}</b>", styles.section)


def _parties(doc: ManifestDocument, styles: _Styles) -> Table:
    parties: tuple[Party, Party, Party] = (doc.generator, doc.transporter, doc.receiver)
    rows: list[tuple[str, Callable[[Party], str]]] = [
        ("单位名称 Name", lambda p: p.name),
        ("统一社会信用代码 USCC", lambda p: p.uscc),
        ("地址 Address", lambda p: p.address),
        ("联系人 Contact", lambda p: p.contact),
        ("电话 Phone", lambda p: p.phone),
        ("许可证号 Licence", lambda p: p.licence_no or "—"),
    ]
    data: list[list[Any]] = [
        ["", "移出人（产生单位）\nGenerator", "承运人\nTransporter", "接受人（处置单位）\nReceiver"],
    ]
    widths = (34 * MM, 52 * MM, 50 * MM, 50 * MM)
    for key, get in rows:
        data.append(
            [_k(key, styles.font)]
            + [_v(get(party), styles.body, w) for party, w in zip(parties, widths[1:], strict=True)]
        )
    table = Table(data, colWidths=widths)
    table.setStyle(TableStyle(_grid_style(styles.font, key_column=True)))
    return table


def _transport(doc: ManifestDocument, styles: _Styles) -> Table:
    t = doc.transport
    pairs = [
        ("车牌号 Vehicle plate", t.vehicle_plate, "道路运输证号 Transport licence", t.transport_licence),
        ("驾驶员 Driver", t.driver, "驾驶员电话 Driver phone", t.driver_phone or "—"),
        ("起点 Route start", t.route_start, "终点 Route end", t.route_end),
    ]
    data = [
        [_k(a, styles.font), _v(b, styles.body, 59 * MM), _k(c, styles.font), _v(d, styles.body, 59 * MM)]
        for a, b, c, d in pairs
    ]
    table = Table(data, colWidths=(34 * MM, 59 * MM, 34 * MM, 59 * MM))
    style = _grid_style(styles.font, header_rows=0, key_column=True)
    style += [("BACKGROUND", (2, 0), (2, -1), SHADE), ("FONT", (2, 0), (2, -1), styles.font, 7, 8.6)]
    table.setStyle(TableStyle(style))
    return table


def _waste_lines(doc: ManifestDocument, styles: _Styles) -> Table:
    header = [
        "废物代码\nWaste code",
        "名称 Name",
        "类别\nCat.",
        "危险特性\nHazard",
        "形态\nForm",
        "申报 kg\nDeclared",
        "接收 kg\nReceived",
        "包装 Packaging / 应急措施 Emergency measures",
    ]
    data: list[list[Any]] = [header]
    widths = (20 * MM, 24 * MM, 12 * MM, 18 * MM, 16 * MM, 17 * MM, 17 * MM, 62 * MM)
    for line in doc.waste_lines:
        measures = f"{line.packaging}\n{line.emergency_measures}" if line.packaging else line.emergency_measures
        data.append(
            [
                _v(line.waste_code, styles.body, widths[0]),
                _v(line.name, styles.body, widths[1]),
                _v(line.category, styles.body, widths[2]),
                _v(hazard_text(line.hazard), styles.body, widths[3]),
                _words(line.form, styles.body, widths[4]),
                kg(line.declared_kg),
                kg(line.received_kg),
                _p(measures, styles.small),
            ]
        )
    table = Table(data, colWidths=widths, repeatRows=1)
    style = _grid_style(styles.font)
    style.append(("ALIGN", (5, 1), (6, -1), "RIGHT"))
    table.setStyle(TableStyle(style))
    return table


def _signatures_and_decision(doc: ManifestDocument, styles: _Styles, tz: tzinfo) -> list[Flowable]:
    def sig_row(role: str, sig: Signature | None) -> list[Any]:
        if sig is None:
            return [role, "—", "—", "未签 not signed"]
        return [
            role,
            _v(sig.signer, styles.body, 40 * MM),
            _v(sig.organisation, styles.body, 74 * MM),
            local_time(sig.signed_at, tz),
        ]

    data: list[list[Any]] = [
        ["环节 Party", "签字人 Signer", "单位 Organisation", "签字时间 Signed at"],
        sig_row("移出人 Generator", doc.generator_signature),
        sig_row("承运人 Transporter", doc.transporter_signature),
        sig_row("接受人 Receiver", doc.receiver_signature),
    ]
    signatures = Table(data, colWidths=(34 * MM, 40 * MM, 74 * MM, 38 * MM))
    style = _grid_style(styles.font)
    style.append(("FONT", (0, 1), (0, -1), styles.font, 7, 8.6))
    signatures.setStyle(TableStyle(style))

    decision = doc.decision
    if decision is None:
        rows = [["接受意见 Decision", "待接受人确认 pending the receiver"]]
    else:
        discrepancies = "\n".join(decision.discrepancies) if decision.discrepancies else "无 none"
        rows = [
            ["接受意见 Decision", DECISIONS[decision.decision]],
            ["处置方式 Method", decision.method_code],
            ["接受量 Accepted", f"{kg(decision.accepted_kg)} kg"],
            ["差异 Discrepancies", discrepancies],
        ]
    cross = [
        ["白名单条目 White-list entry", doc.whitelist_entry or "—"],
        ["跨省转移审批 Approval no.", doc.approval_number or "—"],
    ]
    table = Table(
        [[_k(k, styles.font), _v(v, styles.body, 152 * MM)] for k, v in rows + cross], colWidths=(34 * MM, 152 * MM)
    )
    table.setStyle(TableStyle(_grid_style(styles.font, header_rows=0, key_column=True)))
    return [
        KeepTogether([_section("四、签字 Signatures", styles), signatures]),
        KeepTogether([_section("五、接受人意见 Receiver's decision · 跨省转移 Cross-province", styles), table]),
    ]


def _totals(doc: ManifestDocument, styles: _Styles) -> Table:
    t = doc.totals
    data = [
        ["容器数 Containers", f"{t.containers}", "已接收 Received", f"{t.containers_received}"],
        ["容器申报合计 Declared", f"{kg(t.declared_kg)} kg", "容器接收合计 Received", f"{kg(t.received_kg)} kg"],
        [
            "废物申报合计 Lines declared",
            f"{kg(t.lines_declared_kg)} kg",
            "废物接收合计 Lines received",
            f"{kg(t.lines_received_kg)} kg" if t.lines_received_kg is not None else "—",
        ],
    ]
    table = Table(
        [[_k(a, styles.font), b, _k(c, styles.font), d] for a, b, c, d in data],
        colWidths=(34 * MM, 59 * MM, 34 * MM, 59 * MM),
    )
    style = _grid_style(styles.font, header_rows=0, key_column=True)
    style += [("BACKGROUND", (2, 0), (2, -1), SHADE), ("FONT", (2, 0), (2, -1), styles.font, 7, 8.6)]
    table.setStyle(TableStyle(style))
    return table


def container_rows(doc: ManifestDocument) -> list[tuple[str, ...]]:
    """The container table's body rows as printed (also what the benchmark's bare table uses)."""
    return [
        (
            str(i),
            format_code(row.code),
            row.waste_code,
            kg(row.declared_kg),
            kg(row.received_kg),
            STATUSES.get(row.status, row.status),
        )
        for i, row in enumerate(doc.containers, 1)
    ]


def _containers(doc: ManifestDocument, styles: _Styles) -> Table:
    t = doc.totals
    data: list[Sequence[Any]] = [CONTAINER_HEADER, *container_rows(doc)]
    data.append(("", "合计 Total", "", kg(t.declared_kg), kg(t.received_kg), f"{t.containers_received}/{t.containers}"))
    # Plain strings, fixed widths and heights: a 500-row table stays close to platypus' bare cost.
    table = Table(data, colWidths=CONTAINER_WIDTHS, rowHeights=13, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), styles.font, 7.5, 9),
                ("FONT", (0, 0), (-1, 0), styles.font, 7, 9),
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                # Stripes on every other row instead of a rule under each: a quarter of the drawing operations.
                ("ROWBACKGROUNDS", (0, 1), (-1, -2), [None, STRIPE]),
                ("BACKGROUND", (0, -1), (-1, -1), SHADE),
                ("BOX", (0, 0), (-1, -1), 0.5, GRID),
                ("LINEBELOW", (0, 0), (-1, 0), 0.5, GRID),
                ("LINEABOVE", (0, -1), (-1, -1), 0.5, GRID),
                ("LINEBELOW", (0, "splitlast"), (-1, "splitlast"), 0.5, GRID),  # close the box at a page break
                # Every range command is applied cell by cell (3,000 cells here): keep them few, default paddings.
                ("ALIGN", (3, 1), (4, -1), "RIGHT"),
            ]
        )
    )
    return table


class _ManifestCanvas(Canvas):  # type: ignore[misc]  # reportlab ships no type hints
    """Counts pages and defines, at save time, the forms the pages refer to: the QR and "page X of Y"."""

    qr_payload: str = ""
    font_name: str = "Helvetica"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pages = 0

    def showPage(self) -> None:
        self.pages += 1
        super().showPage()

    def save(self) -> None:
        # One QR drawing shared by all pages: it is encoded and emitted once, not once per page.
        self.beginForm("manifest-qr", 0, 0, QR_SIDE, QR_SIDE)
        draw_qr(self, qr_matrix(self.qr_payload, MANIFEST_EC), 0, 0, QR_SIDE)
        self.endForm()
        # Page numbers need the total, known only now: each page refers to its own small form.
        for page in range(1, self.pages + 1):
            self.beginForm(f"page-{page}", 0, -2, 90 * MM, 10)
            self.setFont(self.font_name, 7.5)
            self.drawString(0, 0, f"第 {page} 页 / 共 {self.pages} 页   Page {page} of {self.pages}")
            self.endForm()
        super().save()


def _page_decorator(doc: ManifestDocument, font: str, tz: tzinfo) -> Callable[[Canvas, BaseDocTemplate], None]:
    page_w, page_h = A4

    def decorate(canvas: Canvas, template: BaseDocTemplate) -> None:
        canvas.saveState()
        top = page_h - PAGE_MARGIN
        qr_x = page_w - PAGE_MARGIN - QR_SIDE
        canvas.translate(qr_x, top - QR_SIDE)
        canvas.doForm("manifest-qr")
        canvas.restoreState()
        canvas.saveState()
        draw_bold(canvas, PAGE_MARGIN, top - 16, "危险废物转移联单", font, 16)
        canvas.setFont(font, 9.5)
        canvas.drawString(PAGE_MARGIN, top - 29, "Hazardous Waste Transfer Manifest (部令第23号)")
        draw_bold(canvas, PAGE_MARGIN, top - 46, f"联单编号 No. {doc.number}", font, 12)
        canvas.setFont(font, 7.5)
        canvas.saveState()
        canvas.translate(PAGE_MARGIN, top - 62)
        canvas.doForm(f"page-{template.page}")
        canvas.restoreState()
        canvas.setFont(font, 6.5)
        canvas.drawCentredString(qr_x + QR_SIDE / 2, top - QR_SIDE - 8, "扫码核对 Scan to verify")
        canvas.setLineWidth(0.6)
        rule = page_h - PAGE_MARGIN - HEADER_HEIGHT + 3 * MM
        canvas.line(PAGE_MARGIN, rule, page_w - PAGE_MARGIN, rule)
        # Footer: what the QR verifies, and when this paper was printed.
        canvas.setLineWidth(0.3)
        canvas.line(
            PAGE_MARGIN,
            PAGE_MARGIN + FOOTER_HEIGHT - 3 * MM,
            page_w - PAGE_MARGIN,
            PAGE_MARGIN + FOOTER_HEIGHT - 3 * MM,
        )
        canvas.setFont(font, 6.5)
        canvas.drawString(PAGE_MARGIN, PAGE_MARGIN + 10, f"内容摘要 Content hash: {doc.content_hash}")
        canvas.drawString(
            PAGE_MARGIN,
            PAGE_MARGIN + 2,
            f"打印时间 Printed at {local_time(doc.printed_at, tz)} · 以台账为准，扫码核对纸质联单是否与台账一致 "
            "The ledger is authoritative: scan to check this paper against it.",
        )
        canvas.restoreState()

    return decorate


def render_manifest(
    doc: ManifestDocument, base_url: str, *, font: FontChoice | None = None, tz: tzinfo = CHINA_TZ
) -> bytes:
    """Render a transfer manifest as an A4 PDF; each page repeats the header and the verification QR."""
    font_name = (font or cjk_font()).name
    payload = manifest_qr_payload(base_url, doc.number, doc.content_hash)
    styles = _styles(font_name)
    buffer = io.BytesIO()
    template = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=PAGE_MARGIN,
        rightMargin=PAGE_MARGIN,
        topMargin=PAGE_MARGIN + HEADER_HEIGHT,
        bottomMargin=PAGE_MARGIN + FOOTER_HEIGHT,
        title=f"转移联单 {doc.number}",
        author="wasteledger",
        creator="wasteledger labels",
        invariant=True,
        pageCompression=1,
    )
    story: list[Flowable] = [
        _section("一、单位信息 Parties", styles),
        _parties(doc, styles),
        KeepTogether([_section("二、运输信息 Transport (承运人填写)", styles), _transport(doc, styles)]),
        _section("三、危险废物 Wastes (移出人填写 · 接收量由接受人填写)", styles),
        _waste_lines(doc, styles),
        Spacer(1, 2 * MM),
        _totals(doc, styles),
        *_signatures_and_decision(doc, styles, tz),
    ]
    if doc.remarks:
        story += [_section("备注 Remarks", styles), _p(doc.remarks, styles.body)]
    story += [_section(f"六、容器清单 Containers ({doc.totals.containers})", styles), _containers(doc, styles)]

    class _Canvas(_ManifestCanvas):
        qr_payload = payload

    _Canvas.font_name = font_name
    decorate = _page_decorator(doc, font_name, tz)
    template.build(story, onFirstPage=decorate, onLaterPages=decorate, canvasmaker=_Canvas)
    return buffer.getvalue()
