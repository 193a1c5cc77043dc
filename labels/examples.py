"""Fictional but well-formed records for samples, benchmarks and tests (every party and number here is made up)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from labels.models import (
    ContainerLabel,
    ContainerRow,
    Decision,
    ManifestDocument,
    Party,
    ReceiverDecision,
    Signature,
    Transport,
    WasteLine,
)

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc(body: str) -> str:
    """Append the GB 32100-2015 check character to a 17-character body."""
    total = sum(_USCC_ALPHABET.index(ch) * w for ch, w in zip(body, _USCC_WEIGHTS, strict=True))
    return body + _USCC_ALPHABET[(31 - total % 31) % 31]


HOSPITAL_USCC = uscc("12500000MB1A2C3D4")
TRANSPORTER_USCC = uscc("91500109MA5U7K8L2")
PLANT_USCC = uscc("91500109MA60XY3N7")
BASE_URL = "https://wl.cq.example.cn"


def container_code(unit: str, waste_code: str, packed_on: date, seq: int) -> str:
    """Build a 37-character code the way the ledger does (USCC + waste digits + YYYYMMDD + 3-digit sequence)."""
    return f"{unit}{waste_code.replace('-', '')}{packed_on:%Y%m%d}{seq:03d}"


def example_label(
    seq: int = 1, *, medical: bool = True, volume_l: Decimal = Decimal("20"), long_text: bool = False
) -> ContainerLabel:
    """A sharps/infectious medical label, or a waste-lead-battery hazardous label when `medical` is False."""
    packed = date(2020, 6, 12)
    if medical:
        label = ContainerLabel(
            code=container_code(HOSPITAL_USCC, "841-001-01", packed, seq),
            waste_code="841-001-01",
            waste_name_zh="感染性废物",
            waste_name_en="Infectious waste",
            category="HW01",
            category_name_zh="医疗废物",
            form="固态 solid",
            hazard="In",
            main_components="使用后的棉签、纱布、一次性输液器",
            hazardous_components="病原微生物",
            precautions="密封转运，防止破损泄漏；接触后洗手消毒",
            generator_name="重庆市渝中区示例人民医院",
            generator_contact="张医生",
            generator_phone="023-6300 0000",
            packed_on=packed,
            weight_kg=Decimal("4.35"),
            volume_l=volume_l,
            medical=True,
            remarks="感染科三病区",
        )
    else:
        label = ContainerLabel(
            code=container_code(PLANT_USCC, "900-052-31", packed, seq),
            waste_code="900-052-31",
            waste_name_zh="废铅蓄电池",
            waste_name_en="Waste lead-acid batteries",
            category="HW31",
            category_name_zh="含铅废物",
            form="固态 solid",
            hazard="T,C",
            main_components="铅、铅膏、硫酸电解液、塑料外壳",
            hazardous_components="铅及其化合物、硫酸",
            precautions="直立存放，防止倾倒和电解液泄漏；远离火源",
            generator_name="重庆示例汽车维修服务有限公司",
            generator_contact="李工",
            generator_phone="138 0000 0000",
            packed_on=packed,
            weight_kg=Decimal("186.50"),
            volume_l=volume_l,
            medical=False,
        )
    if not long_text:
        return label
    return ContainerLabel(
        code=label.code,
        waste_code=label.waste_code,
        waste_name_zh="含有或沾染毒性、感染性危险废物的废弃包装物、容器、过滤吸附介质及实验室废液混合物",
        waste_name_en="Discarded packaging, containers and filter media contaminated with toxic or infectious "
        "hazardous waste, mixed with laboratory liquid waste",
        category=label.category,
        category_name_zh=label.category_name_zh,
        form="半固态 semi-solid（含少量液体）",
        hazard="T/C/I/R/In",
        main_components="废弃的一次性注射器、输液器、采血管、培养基、标本容器、手套、口罩、棉球、棉签、纱布、"
        "引流袋、尿袋、透析器及其他被患者血液体液排泄物污染的物品",
        hazardous_components="病原微生物、残留化学试剂（甲醛、二甲苯、乙醇）、细胞毒性药物残留、重金属（汞、铅）",
        precautions="严禁混入生活垃圾；包装物达到四分之三时封口；转运时防止流失、泄漏、扩散；"
        "操作人员须佩戴防护用品，发生泄漏立即按应急预案处置并报告",
        generator_name="重庆市某某区某某街道社区卫生服务中心附属某某康复护理院（第二院区）医学检验科",
        generator_contact="王某某（医院感染管理科值班人员）",
        generator_phone="023-6300 0000 转 8888 / 139 0000 0000",
        packed_on=label.packed_on,
        weight_kg=Decimal("12345.678"),
        volume_l=label.volume_l,
        medical=label.medical,
        remarks="本批次含疑似传染病患者产生的废物，需优先收运并双层包装，交接时请核对重量与数量。" * 2,
    )


def example_manifest(containers: int = 30, *, signed: int = 3) -> ManifestDocument:
    """A medical-waste manifest from a hospital to a disposal plant with `containers` rows and `signed` signatures."""
    packed = date(2020, 6, 12)
    t0 = datetime(2020, 6, 12, 6, 30, tzinfo=UTC)
    rows = []
    for i in range(containers):
        waste = ("841-001-01", "841-002-01", "841-003-01")[i % 3]
        declared = Decimal(3) + Decimal(i % 17) / 4
        refused = i % 97 == 96
        rows.append(
            ContainerRow(
                code=container_code(HOSPITAL_USCC, waste, packed, i % 999 + 1),
                waste_code=waste,
                declared_kg=declared,
                received_kg=None if refused or signed < 3 else declared - Decimal("0.05") * (i % 3),
                status="refused" if refused and signed >= 3 else ("received" if signed >= 3 else "collected"),
            )
        )

    def line(code: str, name: str, measures: str) -> WasteLine:
        mine = [r for r in rows if r.waste_code == code]
        got = [r.received_kg for r in mine if r.received_kg is not None]
        return WasteLine(
            waste_code=code,
            name=name,
            category="HW01",
            hazard="In",
            form="固态",
            declared_kg=sum((r.declared_kg for r in mine), Decimal(0)),
            received_kg=sum(got, Decimal(0)) if signed >= 3 else None,
            emergency_measures=measures,
            packaging="医疗废物专用包装袋/利器盒，周转箱",
        )

    lines = (
        line("841-001-01", "感染性废物", "泄漏时用含氯消毒剂覆盖消毒后收集，人员接触后立即清洗消毒并报告"),
        line("841-002-01", "损伤性废物", "利器盒破损时戴防刺手套收集，刺伤后挤血冲洗、消毒并上报"),
        line("841-003-01", "病理性废物", "冷藏转运；泄漏时消毒收集，污染区域消毒"),
    )
    accepted = sum((r.received_kg for r in rows if r.received_kg is not None), Decimal(0))
    refused_n = sum(1 for r in rows if r.status == "refused")
    return ManifestDocument(
        number="20205001000123",
        generator=Party(
            name="重庆市渝中区示例人民医院",
            uscc=HOSPITAL_USCC,
            address="重庆市渝中区示例路 1 号",
            contact="张医生",
            phone="023-6300 0000",
        ),
        transporter=Party(
            name="重庆示例医疗废物运输有限公司",
            uscc=TRANSPORTER_USCC,
            address="重庆市北碚区示例大道 88 号",
            contact="赵调度",
            phone="023-6800 0000",
            licence_no="渝交运管许可字 500109000123 号",
        ),
        receiver=Party(
            name="重庆示例医疗废物处置有限公司",
            uscc=PLANT_USCC,
            address="重庆市北碚区示例工业园 6 号",
            contact="钱主管",
            phone="023-6811 0000",
            licence_no="渝危废经第 500109-01 号",
        ),
        transport=Transport(
            vehicle_plate="渝B·D1234",
            transport_licence="渝交运管 500109012345",
            driver="孙师傅",
            driver_phone="139 0000 1111",
            route_start="重庆市渝中区示例路 1 号（医院暂存间）",
            route_end="重庆市北碚区示例工业园 6 号（处置厂）",
        ),
        waste_lines=lines,
        containers=tuple(rows),
        generator_signature=Signature(signer="张医生", organisation="重庆市渝中区示例人民医院", signed_at=t0)
        if signed >= 1
        else None,
        transporter_signature=Signature(
            signer="孙师傅", organisation="重庆示例医疗废物运输有限公司", signed_at=t0 + timedelta(minutes=25)
        )
        if signed >= 2
        else None,
        receiver_signature=Signature(
            signer="钱主管", organisation="重庆示例医疗废物处置有限公司", signed_at=t0 + timedelta(hours=3, minutes=10)
        )
        if signed >= 3
        else None,
        decision=ReceiverDecision(
            decision=Decision.PARTIALLY_REFUSED if refused_n else Decision.ACCEPTED,
            method_code="Y10",
            accepted_kg=accepted,
            discrepancies=tuple(
                f"{r.code}: 包装破损，拒收 damaged packaging, refused" for r in rows if r.status == "refused"
            ),
        )
        if signed >= 3
        else None,
        whitelist_entry=None,
        approval_number=None,
        content_hash="9f2c4b7e1d0a58c3b6e2f41a7d9c0e35b8a1f6d2c4e7093a5b1d8f2e6c0a4b79",
        printed_at=t0 + timedelta(hours=3, minutes=30),
        remarks="疫情期间日产日清，同日收运处置。",
    )
