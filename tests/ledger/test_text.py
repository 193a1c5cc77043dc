"""Free text: invisible, direction-changing and control characters are refused, naming the one at fault."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator
from typing import Any, get_args

import pytest
from pydantic import AfterValidator, TypeAdapter, ValidationError
from sqlmodel import SQLModel

from ledger.accounts import TokenRequest, UserCreate
from ledger.containers import CorrectContainer, RegisterContainer, VoidContainer
from ledger.monitoring.alerts import AcknowledgeAlert, AssignAlert, CloseAlert
from ledger.monitoring.subscriptions import SubscriptionCreate
from ledger.organisations import OrganisationCreate, PlantLicence
from ledger.plants import PlantSwitch
from ledger.queries import CorrectionRequest, VoidRequest
from ledger.scans import ScanIn
from ledger.shipments import (
    AmendShipment,
    CreateShipment,
    Dispatch,
    DisposeContainers,
    ProposeCorrection,
    ReceiveContainer,
    RefuseContainer,
    SignReceipt,
)
from ledger.text import Line, Prose, check_line, check_prose
from ledger.transfers import AmendQuota, CreateApproval, CreateWhiteListEntry

LINE = TypeAdapter(Line)
PROSE = TypeAdapter(Prose)

BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\u200e", "\u200f"]
BIDI += ["\u061c"]
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]
OTHER_FORMAT = ["\u00ad", "\U000e0041"]  # soft hyphen, a tag character
CONTROLS = ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\x9b"]  # NUL, BEL, ESC, DEL, C1 NEL and CSI
SEPARATORS = ["\u2028", "\u2029"]
REFUSED_EVERYWHERE = BIDI + ZERO_WIDTH + OTHER_FORMAT + CONTROLS + SEPARATORS


def message(adapter: TypeAdapter[str], text: str) -> str:
    with pytest.raises(ValidationError) as caught:
        adapter.validate_python(text)
    [error] = caught.value.errors()
    return str(error["msg"])


@pytest.mark.parametrize("ch", REFUSED_EVERYWHERE, ids=lambda ch: f"U+{ord(ch):04X}")
@pytest.mark.parametrize("adapter", [LINE, PROSE], ids=["line", "prose"])
def test_invisible_and_control_characters_are_refused_by_code_point_and_name(
    adapter: TypeAdapter[str], ch: str
) -> None:
    said = message(adapter, "拒收：包装" + ch + "破损")
    assert f"U+{ord(ch):04X}" in said and "at position 5" in said
    if unicodedata.category(ch) != "Cc":
        assert unicodedata.name(ch) in said, said


def test_the_message_says_which_override_it_is() -> None:
    assert message(LINE, "12 kg\u202e") == (
        "Value error, contains U+202E RIGHT-TO-LEFT OVERRIDE at position 5:"
        " invisible and direction-changing characters are refused"
    )


@pytest.mark.parametrize("ch", ["\n", "\r", "\t"], ids=["LF", "CR", "TAB"])
def test_one_line_refuses_line_breaks_and_tabs_prose_keeps_them(ch: str) -> None:
    text = "第一行" + ch + "第二行"
    assert "line breaks and control characters" in message(LINE, text)
    assert PROSE.validate_python(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "重庆市渝中区示例医院",
        "张三 / Zhāng Sān",
        "渗漏 💧 ❤️ 🚚",  # emoji, one with a variation selector (a mark, not a format character)
        "مستشفى",  # right-to-left letters are fine: only the controls that reorder text are refused
        "e\u0301",  # a combining accent, kept as given (no normalisation)
        "\ufa10",  # a CJK compatibility ideograph, which NFC would turn into another code point
        "",
    ],
)
def test_ordinary_text_is_accepted_as_given(text: str) -> None:
    assert LINE.validate_python(text) == text
    assert PROSE.validate_python(text + "\n\t备注") == text + "\n\t备注"


# --- every free-text field of the input models carries the check -----------------------------------------------

INPUT_MODELS: list[type[SQLModel]] = [
    ScanIn,
    RegisterContainer,
    VoidContainer,
    CorrectContainer,
    VoidRequest,
    CorrectionRequest,
    CreateShipment,
    AmendShipment,
    Dispatch,
    ReceiveContainer,
    RefuseContainer,
    SignReceipt,
    DisposeContainers,
    ProposeCorrection,
    OrganisationCreate,
    PlantLicence,
    PlantSwitch,
    UserCreate,
    TokenRequest,
    CreateWhiteListEntry,
    CreateApproval,
    AmendQuota,
    AcknowledgeAlert,
    AssignAlert,
    CloseAlert,
    SubscriptionCreate,
]

#: Text fields that are identifiers, codes or enumerations read by their own strict parsers, not free text.
IDENTIFIERS = frozenset(
    {
        "text",  # a scanned label: parse_container_code
        "shipment",
        "previous_shipment",
        "code",
        "codes",
        "containers",
        "generator",
        "transporter",
        "receiver",
        "uscc",
        "org_uscc",
        "division",
        "jurisdiction",
        "waste_code",
        "waste_codes",
        "licensed_waste_codes",
        "category",
        "method",
        "licensed_methods",
        "origin_province",
        "destination_province",
        "id",
        "number",
        "username",
        "assignee",
        "role",
        "channel",
    }
)


def _parts(annotation: Any) -> Iterator[Any]:
    yield annotation
    for arg in get_args(annotation):
        yield from _parts(arg)


def checks_of(model: type[SQLModel], name: str) -> set[Callable[[str], str]]:
    field = model.model_fields[name]
    metadata = list(field.metadata) + [
        m for part in _parts(field.annotation) for m in getattr(part, "__metadata__", ())
    ]
    return {m.func for m in metadata if isinstance(m, AfterValidator)}  # type: ignore[misc]


def holds_text(model: type[SQLModel], name: str) -> bool:
    return any(part is str for part in _parts(model.model_fields[name].annotation))


def test_every_free_text_field_of_an_input_model_is_checked() -> None:
    unchecked = [
        f"{model.__name__}.{name}"
        for model in INPUT_MODELS
        for name in model.model_fields
        if holds_text(model, name)
        and name not in IDENTIFIERS
        and not checks_of(model, name) & {check_line, check_prose}
    ]
    assert not unchecked, unchecked


def test_the_field_check_sees_an_unchecked_field() -> None:
    class Careless(SQLModel):
        note: str = ""
        reason: Prose = ""
        driver: Line | None = None
        fields: dict[str, Prose] = {}

    assert [name for name in Careless.model_fields if not checks_of(Careless, name)] == ["note"]


def test_a_model_names_the_field_at_fault() -> None:
    with pytest.raises(ValidationError) as caught:
        ProposeCorrection(fields={"driver": "李\u200b四"}, reason="typo in the name")
    [error] = caught.value.errors()
    assert error["loc"] == ("fields", "driver") and "U+200B ZERO WIDTH SPACE" in error["msg"]
