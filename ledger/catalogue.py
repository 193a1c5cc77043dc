"""The reference catalogue (名录 2021 waste codes, HW categories, method codes, divisions), read from fixtures/."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from fixtures.data import load
from ledger.errors import InvalidIdentifier, InvalidInput
from ledger.identifiers import division_province, parse_waste_code, validate_division_code

MEDICAL_CATEGORY = "HW01"


@dataclass(frozen=True, slots=True)
class WasteType:
    code: str
    category: str
    name_zh: str
    name_en: str
    hazard: str
    medical_class: str | None
    form: str | None

    @property
    def medical(self) -> bool:
        return self.category == MEDICAL_CATEGORY


@dataclass(frozen=True, slots=True)
class Category:
    category: str
    name_zh: str
    name_en: str


@dataclass(frozen=True, slots=True)
class Method:
    code: str
    name_zh: str
    name_en: str
    family: str


@dataclass(frozen=True, slots=True)
class Division:
    code: str
    name_zh: str
    name_en: str
    kind: str
    parent: str | None
    province: str


class Catalogue:
    """Lookups with precise errors; built once per process from the JSON reference files."""

    def __init__(
        self,
        waste_types: list[WasteType],
        categories: list[Category],
        methods: list[Method],
        divisions: list[Division],
    ) -> None:
        self.waste_types = {w.code: w for w in waste_types}
        self.categories = {c.category: c for c in categories}
        self.methods = {m.code: m for m in methods}
        self.divisions = {d.code: d for d in divisions}

    def waste_type(self, text: str, *, field: str = "waste_code") -> WasteType:
        """The catalogue entry for a waste code; ``900-000-XX`` (unlisted, identified) is accepted too."""
        code = parse_waste_code(text, field=field)
        known = self.waste_types.get(str(code))
        if known is not None:
            return known
        if code.unlisted:
            category = self.categories[code.category]
            return WasteType(
                str(code),
                code.category,
                f"{category.name_zh}（名录外）",
                f"{category.name_en} (unlisted)",
                "T",
                None,
                None,
            )
        raise InvalidIdentifier(
            f"waste code {code} is not in the 2021 catalogue this ledger knows"
            f" (for identified but unlisted waste use 900-000-{code.category_number:02d})",
            field=field,
        )

    def method(self, code: str, *, waste: WasteType, field: str = "method") -> Method:
        """A disposal or utilisation method valid for the waste: Y1x only for medical waste, and only Y1x."""
        method = self.methods.get(code.strip().upper()) if isinstance(code, str) else None
        if method is None:
            raise InvalidInput(
                f"unknown method code {code!r} (see the method list: R1–R15, D1–D16, C1–C3, Y10–Y16)",
                field=field,
            )
        if waste.medical != (method.family == "medical"):
            expected = "a Y1x medical code" if waste.medical else "an R, D or C code"
            raise InvalidInput(f"method {method.code} does not apply to {waste.code}: use {expected}", field=field)
        return method

    def division(self, text: str, *, field: str = "division") -> Division:
        code = validate_division_code(text, field=field)
        found = self.divisions.get(code)
        if found is None:
            raise InvalidIdentifier(f"division {code} is not in the reference list", field=field)
        return found

    def province_of(self, division: str) -> str:
        return division_province(division)

    def jurisdiction_covers(self, jurisdiction: str, division: str) -> bool:
        """Does a regulator of ``jurisdiction`` oversee ``division``? A province code covers the province."""
        if jurisdiction == division:
            return True
        if jurisdiction.endswith("0000"):
            return self.province_of(division) == jurisdiction[:2]
        parent = self.divisions.get(division)
        return parent is not None and parent.parent == jurisdiction


@cache
def load_catalogue() -> Catalogue:
    """The catalogue from fixtures/reference (loaded once: it is read-only reference data)."""
    return Catalogue(
        waste_types=[
            WasteType(
                r["code"],
                r["category"],
                r["name_zh"],
                r["name_en"],
                r["hazard"],
                r.get("medical_class"),
                r.get("form"),
            )
            for r in load("reference/waste_codes")
        ],
        categories=[Category(r["category"], r["name_zh"], r["name_en"]) for r in load("reference/waste_categories")],
        methods=[
            Method(r["code"], r["name_zh"], r["name_en"], r["family"]) for r in load("reference/disposal_methods")
        ],
        divisions=[
            Division(r["code"], r["name_zh"], r["name_en"], r["kind"], r.get("parent"), r["province"])
            for r in load("reference/divisions")
        ],
    )
