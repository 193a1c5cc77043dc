"""The 37-character code, its printed grouping, and the QR payloads.

Reading a payload back is the ledger's parser's job: tests/test_architecture.py checks printed payloads against it.
"""

from __future__ import annotations

from datetime import date

import pytest

from labels.codes import (
    CODE_LENGTH,
    CODE_SEGMENTS,
    check_code,
    format_code,
    label_qr_payload,
    manifest_qr_payload,
    split_code,
)
from labels.examples import HOSPITAL_USCC, container_code

CODE = container_code(HOSPITAL_USCC, "841-001-01", date(2020, 6, 12), 7)
BASE = "https://wl.cq.example.cn"


def test_segments_are_the_documented_split() -> None:
    assert CODE_SEGMENTS == (("unit", 18), ("waste", 8), ("date", 8), ("seq", 3))
    assert CODE_LENGTH == 37


def test_grouping_prints_18_8_8_3() -> None:
    assert split_code(CODE) == (HOSPITAL_USCC, "84100101", "20200612", "007")
    assert format_code(CODE) == f"{HOSPITAL_USCC} 84100101 20200612 007"
    assert [len(part) for part in format_code(CODE).split(" ")] == [18, 8, 8, 3]
    assert format_code(CODE, sep="-").replace("-", "") == CODE


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (CODE[:-1], "must have 37 characters"),
        (CODE + "1", "got 38"),
        ("I" + CODE[1:], "unit segment"),  # I, O, S, V, Z are not in the USCC alphabet
        (CODE[:18] + "8410010A" + CODE[26:], "waste segment"),
        (CODE[:26] + "20201301" + CODE[34:], "not a date"),
        (CODE[:34] + "00a", "seq segment"),
    ],
)
def test_check_code_names_the_problem(bad: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_code(bad)


def test_payload_is_base_v_code() -> None:
    assert label_qr_payload(BASE, CODE) == f"{BASE}/v/{CODE}"
    assert label_qr_payload(BASE + "/", CODE) == f"{BASE}/v/{CODE}"
    assert (
        label_qr_payload("https://gov.example.cn/wasteledger", CODE) == f"https://gov.example.cn/wasteledger/v/{CODE}"
    )


@pytest.mark.parametrize("base", ["wl.example.cn", "ftp://wl.example.cn", "https://", "https://x.cn/?a=1"])
def test_payload_rejects_bad_base_url(base: str) -> None:
    with pytest.raises(ValueError, match="base URL"):
        label_qr_payload(base, CODE)


def test_manifest_payload_is_base_m_number_hash() -> None:
    digest = "9f2c4b7e1d0a58c3b6e2f41a7d9c0e35b8a1f6d2c4e7093a5b1d8f2e6c0a4b79"
    payload = manifest_qr_payload(BASE, "20205001000123", digest)
    assert payload == f"{BASE}/m/20205001000123?h={digest}"
    with pytest.raises(ValueError, match="14 digits"):
        manifest_qr_payload(BASE, "2020500100012", digest)
    with pytest.raises(ValueError, match="hex"):
        manifest_qr_payload(BASE, "20205001000123", "not-hex")
