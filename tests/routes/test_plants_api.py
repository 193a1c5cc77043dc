"""Plants over HTTP: public licence data; emergency lines switched by the regulator overseeing them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.routes.conftest import Api, assert_problem
from tests.routes.world import LIANGPING_EMERGENCY, TONGXING, TONGXING_BACKUP

EMERGENCY_LINES = [
    LIANGPING_EMERGENCY,
    TONGXING_BACKUP,
    "91500118MA5U2BPK70",  # Yongchuan hazardous-waste incinerator
    "91500120MA5UBTYU4L",  # Bishan
    "91500115MA5UBNUU29",  # Changshou
]


async def medical_capacity(api: Api) -> Decimal:
    """Running medical-waste capacity of the city, t/day, as the API reports plant by plant."""
    page = (await api.get("/api/v1/plants", user="cq.regulator", params={"medical": "true", "active": "true"})).json()
    assert page["next_cursor"] is None
    return sum((Decimal(p["rated_capacity_t_per_day"]) for p in page["items"]), Decimal(0))


async def test_every_party_reads_plants_page_by_page(api: Api) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 10} | ({"cursor": cursor} if cursor else {})
        page = (await api.get("/api/v1/plants", user="wanzhou.hospital", params=params)).json()
        seen += [p["uscc"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 24 and seen == sorted(seen)
    detail = (await api.get(f"/api/v1/plants/{TONGXING}", user="central.transporter")).json()
    assert detail["plant"]["rated_capacity_t_per_day"] == "30.000" and detail["plant"]["licensed_methods"] == [
        "Y10",
        "Y11",
    ]
    assert [e["type"] for e in detail["history"]] == ["plant.registered"]
    assert_problem(await api.get("/api/v1/plants/91500101MA5UT55FXL", user="admin"), 422, "invalid-identifier", "uscc")
    assert_problem(await api.get("/api/v1/plants/12500103459578017X", user="admin"), 404, "not-found", "uscc")


async def test_the_city_goes_from_99_to_111_tonnes_a_day(api: Api) -> None:
    """DOMAIN.md §9: the emergency lines switched on in the 2020 epidemic raised capacity from 99 to 111 t/day."""
    assert await medical_capacity(api) == Decimal("99.000")
    for uscc in EMERGENCY_LINES:
        switched = await api.post(f"/api/v1/plants/{uscc}/activate", user="cq.regulator", json={"reason": "疫情应急"})
        assert switched.status_code == 200 and switched.json()["active"], switched.text
    assert await medical_capacity(api) == Decimal("111.000")
    history = (await api.get(f"/api/v1/plants/{LIANGPING_EMERGENCY}", user="admin")).json()["history"]
    assert [e["type"] for e in history] == ["plant.registered", "plant.activated"]
    assert history[1]["actor_user"] == "cq.regulator" and history[1]["payload"] == {
        "active": True,
        "reason": "疫情应急",
    }


async def test_switching_refusals_change_nothing(api: Api) -> None:
    url = f"/api/v1/plants/{TONGXING_BACKUP}"
    reason = {"reason": "北碚备用线启用"}
    # Wanzhou's bureau does not oversee Beibei; operators and hospitals never switch plants.
    for user in ("wanzhou.regulator", "sichuan.regulator", "tongxing.operator", "yuzhong.hospital"):
        assert_problem(await api.post(url + "/activate", user=user, json=reason), 403, "forbidden", "uscc")
    assert_problem(
        await api.post(url + "/activate", user="beibei.regulator", json={}), 400, "invalid-request", "reason"
    )
    body = assert_problem(
        await api.post(f"/api/v1/plants/{TONGXING}/deactivate", user="cq.regulator", json=reason),
        422,
        "invalid-input",
        "uscc",
    )
    assert "regular licensed line" in body["detail"]
    assert_problem(
        await api.post(url + "/deactivate", user="beibei.regulator", json=reason), 409, "illegal-transition", "uscc"
    )
    detail = (await api.get(url, user="admin")).json()
    assert not detail["plant"]["active"] and len(detail["history"]) == 1

    # Beibei's bureau oversees its own district's backup line: on, then off again.
    assert (await api.post(url + "/activate", user="beibei.regulator", json=reason)).json()["active"]
    assert_problem(await api.post(url + "/activate", user="admin", json=reason), 409, "illegal-transition", "uscc")
    off = await api.post(url + "/deactivate", user="admin", json={"reason": "疫情结束"})
    assert off.status_code == 200 and not off.json()["active"]
    types = [e["type"] for e in (await api.get(url, user="admin")).json()["history"]]
    assert types == ["plant.registered", "plant.activated", "plant.deactivated"]
