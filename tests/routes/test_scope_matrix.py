"""Role × endpoint × scope: nobody reaches beyond their scope, and what is out of scope looks unknown.

Eleven demo users (two hospitals, two carriers, two plants, three district or provincial bureaus, the city
bureau, an administrator) against four containers in every custody. The expected visibility is written out by
hand in tests/routes/world.py; every container endpoint is called by every user on every container.
"""

from __future__ import annotations

import httpx

from ledger.unit_of_work import Database
from tests.routes.conftest import Api, assert_problem
from tests.routes.world import (
    LIANGPING_EMERGENCY,
    TONGXING,
    TONGXING_BACKUP,
    USERS,
    VISIBLE,
    WANZHOU_HOSPITAL,
    YUZHONG_HOSPITAL,
    World,
    build_world,
)

#: Who may void a container at its current state: not tried here (it would write), but in the next test.
MAY_VOID = {
    ("yuzhong.hospital", "a_registered"),
    ("wanzhou.hospital", "b_registered"),
    ("admin", "a_registered"),
    ("admin", "b_registered"),
}


async def event_count(db: Database) -> int:
    async with db.uow() as uow:
        return await uow.events.count()


def unknown_twin(code: str) -> str:
    """A well-formed code of the same unit, waste and day that was never issued."""
    return code[:-3] + "999"


def same_as_unknown(out_of_scope: httpx.Response, unknown: httpx.Response, code: str) -> None:
    """The refusal of an existing container must be the refusal of a missing one, byte for byte but the code."""
    assert_problem(out_of_scope, 404, "not-found", "code")
    assert out_of_scope.status_code == unknown.status_code
    assert out_of_scope.text.replace(code, "<code>") == unknown.text.replace(unknown_twin(code), "<code>")
    assert out_of_scope.headers["content-type"] == unknown.headers["content-type"]


async def test_containers_role_by_role(api: Api) -> None:
    world: World = await build_world(api.db)
    before = await event_count(api.db)
    failures: list[str] = []
    for user, visible in VISIBLE.items():
        listed = (await api.get("/api/v1/containers", user=user, params={"limit": 200})).json()["items"]
        names = {name for name, code in world.codes.items() if code in {item["code"] for item in listed}}
        if names != visible or len(listed) != len(visible):
            failures.append(f"{user} lists {sorted(names)} ({len(listed)} rows), expected {sorted(visible)}")
        # Filters narrow the scope; they never open it.
        for params in (
            {"generator": YUZHONG_HOSPITAL},
            {"division": "500101"},
            {"plant": TONGXING},
            {"status": "received"},
        ):
            filtered = (await api.get("/api/v1/containers", user=user, params=params)).json()["items"]
            codes = {world.codes[name] for name in visible}
            if not {item["code"] for item in filtered} <= codes:
                failures.append(f"{user} with {params} sees beyond its scope")

        for name, code in world.codes.items():
            read = await api.get(f"/api/v1/containers/{code}", user=user)
            if (user, name) in MAY_VOID:
                void = None
            else:
                void = await api.post(f"/api/v1/containers/{code}/void", user=user, json={"reason": "matrix"})
            # A correction that changes nothing: refused by the use case after the scope and party checks.
            fix = await api.post(f"/api/v1/containers/{code}/corrections", user=user, json={"reason": "matrix"})
            if name in visible:
                if read.status_code != 200 or read.json()["container"]["code"] != code:
                    failures.append(f"{user} cannot read {name}: {read.status_code}")
                if void is not None and void.status_code not in (403, 409):
                    failures.append(f"{user} voiding {name}: {void.status_code}, expected a refusal")
                if fix.status_code not in (403, 409, 422):
                    failures.append(f"{user} correcting {name}: {fix.status_code}, expected a refusal")
            else:
                unknown_read = await api.get(f"/api/v1/containers/{unknown_twin(code)}", user=user)
                twin = f"/api/v1/containers/{unknown_twin(code)}"
                unknown_void = await api.post(f"{twin}/void", user=user, json={"reason": "matrix"})
                unknown_fix = await api.post(f"{twin}/corrections", user=user, json={"reason": "matrix"})
                try:
                    same_as_unknown(read, unknown_read, code)
                    assert void is not None
                    same_as_unknown(void, unknown_void, code)
                    same_as_unknown(fix, unknown_fix, code)
                except AssertionError as exc:
                    failures.append(f"{user} on {name}: out of scope must look unknown: {exc}")
    assert not failures, "\n".join(failures)
    # The corrections above changed nothing and the voids were refused: nothing was written.
    assert await event_count(api.db) == before


async def test_writes_by_the_right_party_go_through(api: Api) -> None:
    """The other half of the matrix: the refusals above are scope, not a broken endpoint."""
    world = await build_world(api.db)
    voided = await api.post(
        f"/api/v1/containers/{world.b_registered}/void", user="wanzhou.hospital", json={"reason": "misprint"}
    )
    assert voided.status_code == 200 and voided.json()["status"] == "voided"
    fixed = await api.post(
        f"/api/v1/containers/{world.a_received}/corrections",
        user="cq.regulator",
        json={"reason": "audit", "weight_kg": "3.950"},
    )
    assert fixed.status_code == 201 and fixed.json()["weight_kg"] == "3.950"
    refused = await api.post(
        f"/api/v1/containers/{world.a_collected}/corrections",
        user="yuzhong.hospital",
        json={"reason": "late", "weight_kg": "4"},
    )
    assert_problem(refused, 403, "forbidden", "code")  # after collection only a regulator corrects


async def test_plants_and_organisations_role_by_role(api: Api) -> None:
    may_switch = {
        TONGXING_BACKUP: {"beibei.regulator", "cq.regulator", "admin"},
        LIANGPING_EMERGENCY: {"cq.regulator", "admin"},
    }
    before = await event_count(api.db)
    for uscc, allowed in may_switch.items():
        for user in USERS:
            if user in allowed:
                continue
            response = await api.post(f"/api/v1/plants/{uscc}/activate", user=user, json={"reason": "matrix"})
            assert_problem(response, 403, "forbidden", "uscc")
            assert (await api.get(f"/api/v1/plants/{uscc}", user=user)).status_code == 200  # public data
    assert await event_count(api.db) == before
    for uscc, allowed in may_switch.items():
        for user in sorted(allowed):
            on = await api.post(f"/api/v1/plants/{uscc}/activate", user=user, json={"reason": "matrix"})
            assert on.status_code == 200, (user, uscc, on.text)
            off = await api.post(f"/api/v1/plants/{uscc}/deactivate", user=user, json={"reason": "matrix"})
            assert off.status_code == 200, (user, uscc, off.text)

    # Contact details: the organisation itself, the regulators overseeing it, administrators.
    sees_details = {
        YUZHONG_HOSPITAL: {"yuzhong.hospital", "cq.regulator", "admin"},
        WANZHOU_HOSPITAL: {"wanzhou.hospital", "wanzhou.regulator", "cq.regulator", "admin"},
        TONGXING: {"tongxing.operator", "beibei.regulator", "cq.regulator", "admin"},
    }
    for uscc, allowed in sees_details.items():
        for user in USERS:
            org = (await api.get(f"/api/v1/organisations/{uscc}", user=user)).json()
            assert (org["details"] is not None) == (user in allowed), (user, uscc)
            assert org["uscc"] == uscc and org["name_zh"]
