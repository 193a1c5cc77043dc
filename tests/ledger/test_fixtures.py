"""The reference and demo data in fixtures/ are checked against the ledger's own rules."""

from __future__ import annotations

from decimal import Decimal

from fixtures.data import load
from ledger.catalogue import load_catalogue
from ledger.identifiers import parse_waste_code, validate_division_code, validate_uscc


def test_every_uscc_passes_its_check_and_is_unique() -> None:
    organisations = load("demo/organisations")
    usccs = [validate_uscc(org["uscc"]) for org in organisations]
    assert len(usccs) == len(set(usccs)) == len(organisations)
    assert all(org["demo"] for org in organisations)


def test_plants_sum_to_the_bureaus_99_and_111_tonnes() -> None:
    medical = [o["plant"] for o in load("demo/organisations") if o["kind"] == "plant" and o["plant"]["medical"]]
    regular = [Decimal(p["rated_capacity_t_per_day"]) for p in medical if not p["emergency"]]
    emergency = [Decimal(p["rated_capacity_t_per_day"]) for p in medical if p["emergency"]]
    assert len(regular) == 15 and sum(regular) == Decimal(99)
    assert sum(regular) + sum(emergency) == Decimal(111)
    assert all(p["active"] for p in medical if not p["emergency"])
    assert not any(p["active"] for p in medical if p["emergency"])


def test_catalogue_has_hw01_and_white_list_wastes() -> None:
    catalogue = load_catalogue()
    for code, hazard in [
        ("841-001-01", "In"),
        ("841-002-01", "In"),
        ("841-003-01", "In"),
        ("841-004-01", "T/C/I/R"),
        ("841-005-01", "T"),
        ("900-052-31", "T,C"),
        ("900-023-29", "T"),
        ("900-045-49", "T"),
    ]:
        assert catalogue.waste_type(code).hazard == hazard
    assert len(catalogue.categories) == 46
    for entry in catalogue.waste_types.values():
        assert parse_waste_code(entry.code).category == entry.category


def test_chongqing_has_41_district_level_units() -> None:
    catalogue = load_catalogue()
    units = [d for d in catalogue.divisions.values() if d.parent == "500000"]
    assert len(units) == 41
    assert sum(1 for d in units if d.kind == "development_zone") == 3
    for division in catalogue.divisions.values():
        validate_division_code(division.code)


def test_every_reference_in_the_demo_resolves() -> None:
    catalogue = load_catalogue()
    organisations = {o["uscc"]: o for o in load("demo/organisations")}
    for org in organisations.values():
        catalogue.division(org["division"])
        if org["kind"] == "plant":
            for code in org["plant"]["licensed_waste_codes"]:
                catalogue.waste_type(code)
            assert set(org["plant"]["licensed_methods"]) <= set(catalogue.methods)
    for entry in load("demo/white_list"):
        assert organisations[entry["receiver_uscc"]]["kind"] == "plant"
    for user in load("demo/users"):
        assert user["org_uscc"] in organisations
