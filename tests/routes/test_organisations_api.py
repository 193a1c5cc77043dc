"""Organisations over HTTP: a public register; contact details in scope only; administrators register."""

from __future__ import annotations

from typing import Any

from tests.builders import random_uscc
from tests.routes.conftest import Api, assert_problem
from tests.routes.world import TONGXING, WANZHOU_HOSPITAL, YUZHONG_HOSPITAL


def organisation(**change: Any) -> dict[str, Any]:
    return {
        "uscc": random_uscc("500109"),
        "name_zh": "北碚示例诊所",
        "kind": "generator",
        "division": "500109",
        "address": "北碚区示例路1号",
        "contact": "张医生",
        "phone": "023-60000099",
        **change,
    }


async def test_the_register_is_public_but_contact_details_are_not(api: Api) -> None:
    page = (await api.get("/api/v1/organisations", user="yuzhong.hospital", params={"limit": 200})).json()
    by_uscc = {o["uscc"]: o for o in page["items"]}
    assert len(by_uscc) == 50 and page["next_cursor"] is None
    assert by_uscc[YUZHONG_HOSPITAL]["details"]["contact"] == "孙丽"
    assert by_uscc[WANZHOU_HOSPITAL]["details"] is None and by_uscc[WANZHOU_HOSPITAL]["name_zh"]
    assert sum(o["details"] is not None for o in page["items"]) == 1

    wanzhou = (await api.get("/api/v1/organisations", user="wanzhou.regulator", params={"limit": 200})).json()
    with_details = {o["uscc"] for o in wanzhou["items"] if o["details"] is not None}
    assert with_details == {o["uscc"] for o in wanzhou["items"] if o["division"] == "500101"}
    plants = (
        await api.get("/api/v1/organisations", user="admin", params={"kind": "plant", "division": "500109"})
    ).json()
    assert {o["uscc"] for o in plants["items"]} == {TONGXING, "91500109MA5U6P83X3"}
    assert all(o["details"] is not None for o in plants["items"])
    assert_problem(
        await api.get("/api/v1/organisations", user="admin", params={"kind": "hospital"}),
        400,
        "invalid-request",
        "kind",
    )


async def test_pages_do_not_overlap(api: Api) -> None:
    first = (await api.get("/api/v1/organisations", user="admin", params={"limit": 30})).json()
    second = (
        await api.get("/api/v1/organisations", user="admin", params={"limit": 30, "cursor": first["next_cursor"]})
    ).json()
    assert len(first["items"]) == 30 and len(second["items"]) == 20 and second["next_cursor"] is None
    assert first["items"][-1]["uscc"] < second["items"][0]["uscc"]


async def test_read_one(api: Api) -> None:
    mine = (await api.get(f"/api/v1/organisations/{TONGXING}", user="tongxing.operator")).json()
    assert mine["kind"] == "plant" and mine["details"]["phone"] == "023-60000026"
    other = (await api.get(f"/api/v1/organisations/{TONGXING}", user="wanzhou.operator")).json()
    assert other["details"] is None and other["name_zh"] == mine["name_zh"]
    assert (await api.get(f"/api/v1/organisations/{TONGXING}", user="beibei.regulator")).json()["details"] is not None
    assert_problem(
        await api.get("/api/v1/organisations/915001097745992487", user="admin"), 422, "invalid-identifier", "uscc"
    )
    assert_problem(await api.get(f"/api/v1/organisations/{random_uscc()}", user="admin"), 404, "not-found", "uscc")


async def test_administrators_register_organisations_with_checked_identifiers(api: Api) -> None:
    url = "/api/v1/organisations"
    clinic = organisation()
    assert_problem(await api.post(url, user="cq.regulator", json=clinic), 403, "forbidden", None)
    bad_check = clinic["uscc"][:17] + ("0" if clinic["uscc"][17] != "0" else "1")
    body = assert_problem(
        await api.post(url, user="admin", json=organisation(uscc=bad_check)), 422, "invalid-identifier", "uscc"
    )
    assert "GB 32100" in body["detail"]
    assert_problem(
        await api.post(url, user="admin", json=organisation(division="509999")), 422, "invalid-identifier", "division"
    )
    assert_problem(await api.post(url, user="admin", json=organisation(kind="plant")), 422, "invalid-input", "plant")
    assert_problem(await api.post(url, user="admin", json=organisation(uscc="short")), 400, "invalid-request", "uscc")

    created = await api.post(url, user="admin", json=clinic)
    assert created.status_code == 201 and created.json()["details"]["contact"] == "张医生"
    assert_problem(await api.post(url, user="admin", json=clinic), 409, "conflict", "uscc")
    assert (await api.get(f"{url}/{clinic['uscc']}", user="beibei.regulator")).json()["details"] is not None


async def test_a_new_plant_comes_with_its_licence(api: Api) -> None:
    licence = {
        "rated_capacity_t_per_day": "2.5",
        "emergency": True,
        "active": False,
        "medical": True,
        "licensed_waste_codes": ["841-001-01", "841-002-01"],
        "licensed_methods": ["y11"],
    }
    bad = organisation(kind="plant", plant={**licence, "licensed_methods": ["Z9"]})
    assert_problem(
        await api.post("/api/v1/organisations", user="admin", json=bad), 422, "invalid-input", "plant.licensed_methods"
    )
    plant = organisation(kind="plant", name_zh="北碚移动处置车", plant=licence)
    assert (await api.post("/api/v1/organisations", user="admin", json=plant)).status_code == 201
    detail = (await api.get(f"/api/v1/plants/{plant['uscc']}", user="yuzhong.hospital")).json()
    assert detail["plant"]["rated_capacity_t_per_day"] == "2.500" and detail["plant"]["licensed_methods"] == ["Y11"]
    assert detail["history"][0]["type"] == "plant.registered" and detail["history"][0]["actor_user"] == "admin"
