"""A small world for scope tests: two hospitals, a carrier, a plant, containers in every custody.

Built through the real services (register, manifest, dispatch, deliver, receive), so scope is tested against
the rows the ledger really writes, not against rows a test made up.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ledger.actors import Actor, Role
from ledger.containers import register_container
from ledger.shipments import (
    CreateShipment,
    Dispatch,
    ReceiveContainer,
    create_shipment,
    deliver,
    dispatch,
    receive_container,
    sign_as_generator,
)
from ledger.unit_of_work import Database
from tests.builders import registration

YUZHONG_HOSPITAL = "12500103459578017X"  # generator A, Yuzhong (500103)
WANZHOU_HOSPITAL = "125001014194118615"  # generator B, Wanzhou (500101)
CENTRAL_TRANSPORTER = "91500112MA5U4GME30"
HAZMAT_TRANSPORTER = "91500107MA5U52G75X"
TONGXING = "9150010919411841XQ"  # plant, Beibei (500109)
WANZHOU_PLANT = "91500101MA5UT55FXK"
TONGXING_BACKUP = "91500109MA5U6P83X3"  # emergency line, Beibei (500109), off
LIANGPING_EMERGENCY = "91500155MA5UM65B1G"  # emergency line, Liangping (500155), off

#: Demo users (fixtures/demo/users.json) and the organisation each acts for.
USERS = {
    "yuzhong.hospital": YUZHONG_HOSPITAL,
    "wanzhou.hospital": WANZHOU_HOSPITAL,
    "central.transporter": CENTRAL_TRANSPORTER,
    "hazmat.transporter": HAZMAT_TRANSPORTER,
    "tongxing.operator": TONGXING,
    "wanzhou.operator": WANZHOU_PLANT,
    "wanzhou.regulator": "11500101458823965W",
    "beibei.regulator": "115001097745992487",
    "sichuan.regulator": "115100003966461816",
    "cq.regulator": "11500000247976371U",
    "admin": "11500000247976371U",
}

hospital_a = Actor(org=YUZHONG_HOSPITAL, user="yuzhong.hospital", role=Role.GENERATOR)
hospital_b = Actor(org=WANZHOU_HOSPITAL, user="wanzhou.hospital", role=Role.GENERATOR)
carrier = Actor(org=CENTRAL_TRANSPORTER, user="central.transporter", role=Role.TRANSPORTER)
plant = Actor(org=TONGXING, user="tongxing.operator", role=Role.PLANT_OPERATOR)


@dataclass(frozen=True)
class World:
    a_registered: str
    """At hospital A, not yet collected."""
    a_collected: str
    """On the carrier's truck, consigned to Tongxing."""
    a_received: str
    """Received at Tongxing (custody: the plant; carried on the carrier's manifest)."""
    b_registered: str
    """At hospital B in Wanzhou."""
    shipment: str

    @property
    def codes(self) -> dict[str, str]:
        return {
            "a_registered": self.a_registered,
            "a_collected": self.a_collected,
            "a_received": self.a_received,
            "b_registered": self.b_registered,
        }


#: Which of the world's containers each demo user may see: the policy of ledger/scope.py, written out by hand.
VISIBLE: dict[str, set[str]] = {
    "yuzhong.hospital": {"a_registered", "a_collected", "a_received"},
    "wanzhou.hospital": {"b_registered"},
    "central.transporter": {"a_collected", "a_received"},
    "hazmat.transporter": set(),
    "tongxing.operator": {"a_collected", "a_received"},
    "wanzhou.operator": set(),
    "wanzhou.regulator": {"b_registered"},
    "beibei.regulator": set(),
    "sichuan.regulator": set(),
    "cq.regulator": {"a_registered", "a_collected", "a_received", "b_registered"},
    "admin": {"a_registered", "a_collected", "a_received", "b_registered"},
}


async def build_world(db: Database) -> World:
    a_registered = await register_container(db.uow(), registration(YUZHONG_HOSPITAL), hospital_a)
    a_collected = await register_container(db.uow(), registration(YUZHONG_HOSPITAL, weight="4.100"), hospital_a)
    a_received = await register_container(db.uow(), registration(YUZHONG_HOSPITAL, weight="3.900"), hospital_a)
    b_registered = await register_container(db.uow(), registration(WANZHOU_HOSPITAL), hospital_b)
    manifest = await create_shipment(
        db.uow(),
        CreateShipment(
            generator=YUZHONG_HOSPITAL,
            transporter=CENTRAL_TRANSPORTER,
            receiver=TONGXING,
            containers=[a_collected.code, a_received.code],
            emergency_measures="泄漏时用消毒剂覆盖",
        ),
        hospital_a,
    )
    await sign_as_generator(db.uow(), manifest.number, hospital_a)
    await dispatch(
        db.uow(),
        manifest.number,
        Dispatch(vehicle_plate="渝A12345", transport_licence="渝交运500112001", driver="李"),
        carrier,
    )
    await deliver(db.uow(), manifest.number, carrier)
    await receive_container(
        db.uow(), ReceiveContainer(shipment=manifest.number, code=a_received.code, weight_kg=Decimal("3.900")), plant
    )
    return World(a_registered.code, a_collected.code, a_received.code, b_registered.code, manifest.number)
