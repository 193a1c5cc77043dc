"""The monitoring tests' world: demo parties, load built through the real services, and real local servers
(an HTTP receiver for webhooks and the SMS gateway, aiosmtpd for e-mail) instead of mocks."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from ledger.actors import Actor, Role
from ledger.config import Settings
from ledger.containers import Packaging, RegisterContainer, register_container
from ledger.monitoring.policy import MonitoringPolicy
from ledger.shipments import (
    CreateShipment,
    Dispatch,
    DisposeContainers,
    ReceiveContainer,
    create_shipment,
    deliver,
    dispatch,
    dispose_containers,
    receive_container,
    sign_as_generator,
)
from ledger.tables import Container
from ledger.unit_of_work import Database

YUZHONG_HOSPITAL = "12500103459578017X"  # 500103
WANZHOU_HOSPITAL = "125001014194118615"  # 500101
LIANGPING_HOSPITAL = "12500155255421907Y"  # 500155
AUTO_REPAIR = "91500107MA5U6MB49U"  # 500107, lead batteries
CENTRAL_TRANSPORTER = "91500112MA5U4GME30"
WANZHOU_TRANSPORTER = "91500101MA5UFN7Y0A"
HAZMAT_TRANSPORTER = "91500107MA5U52G75X"
TONGXING = "9150010919411841XQ"  # 30 t/day, 500109
WANZHOU_PLANT = "91500101MA5UT55FXK"  # 5 t/day, 500101
WUSHAN_PLANT = "91500237MA5UAPN53R"  # steam (Y11), 841-001/002 only
LIANGPING_PLANT = "91500155MA5UM65B1G"  # emergency, 3 t/day
TONGXING_BACKUP = "91500109MA5U6P83X3"  # emergency, 5 t/day
YONGCHUAN_HW = "91500118MA5U2BPK70"  # emergency, 1.5 t/day
BISHAN_HW = "91500120MA5UBTYU4L"  # emergency, 1.0 t/day
CHANGSHOU_HW = "91500115MA5UBNUU29"  # emergency, 1.5 t/day
EMERGENCY_LINES = (LIANGPING_PLANT, TONGXING_BACKUP, YONGCHUAN_HW, BISHAN_HW, CHANGSHOU_HW)
NEIJIANG_LEAD = "91511000MA6YPG0Y7M"
CHENGDU_EWASTE = "91510100MA669PUYX4"

city_regulator = Actor(org="11500000247976371U", user="cq.regulator", role=Role.REGULATOR, jurisdiction="500000")
wanzhou_regulator = Actor(
    org="11500101458823965W", user="wanzhou.regulator", role=Role.REGULATOR, jurisdiction="500101"
)
beibei_regulator = Actor(org="115001097745992487", user="beibei.regulator", role=Role.REGULATOR, jurisdiction="500109")

#: Who acts for each organisation in these tests.
ROLE_OF = {
    YUZHONG_HOSPITAL: Role.GENERATOR,
    WANZHOU_HOSPITAL: Role.GENERATOR,
    LIANGPING_HOSPITAL: Role.GENERATOR,
    AUTO_REPAIR: Role.GENERATOR,
    CENTRAL_TRANSPORTER: Role.TRANSPORTER,
    WANZHOU_TRANSPORTER: Role.TRANSPORTER,
    HAZMAT_TRANSPORTER: Role.TRANSPORTER,
}


def actor(org: str) -> Actor:
    return Actor(org=org, user=f"user.{org[-4:].lower()}", role=ROLE_OF.get(org, Role.PLANT_OPERATOR))


VEHICLE = Dispatch(vehicle_plate="渝F12345", transport_licence="渝交运管许可字500101001号", driver="张师傅")


def with_policy(db: Database, **changes: Any) -> Database:
    """The same database (engine, clock) seen with another monitoring policy. Not disposed separately."""
    policy = replace(db.settings.monitoring, **changes)
    settings: Settings = replace(db.settings, monitoring=policy)
    return Database(settings, engine=db.engine, clock=db.clock, catalogue=db.catalogue)


async def register(
    db: Database, generator: str, count: int, *, kg: str = "100.000", waste_code: str = "841-001-01"
) -> list[str]:
    """``count`` containers of ``kg`` each, packed now."""
    codes = []
    for _ in range(count):
        view = await register_container(
            db.uow(),
            RegisterContainer(
                generator=generator,
                waste_code=waste_code,
                weight_kg=Decimal(kg),
                packaging=Packaging.BOX,
                volume_l=Decimal("500"),
            ),
            actor(generator),
        )
        codes.append(view.code)
    return codes


async def ship(
    db: Database,
    generator: str,
    transporter: str,
    plant: str,
    codes: list[str],
    *,
    arrive: bool = True,
    receive: bool = True,
) -> str:
    """A manifest through the real steps: created, signed, dispatched; then (optionally) delivered and every
    container received at the plant."""
    manifest = await create_shipment(
        db.uow(),
        CreateShipment(generator=generator, transporter=transporter, receiver=plant, containers=codes),
        actor(generator),
    )
    await sign_as_generator(db.uow(), manifest.number, actor(generator))
    await dispatch(db.uow(), manifest.number, VEHICLE, actor(transporter))
    if arrive:
        await deliver(db.uow(), manifest.number, actor(transporter))
        if receive:
            await receive_all(db, manifest.number, plant, codes)
    return manifest.number


async def receive_all(db: Database, number: str, plant: str, codes: list[str]) -> None:
    for code in codes:
        async with db.uow() as uow:
            row = await uow.session.get(Container, code)
            assert row is not None
            weight = Decimal(row.weight_g) / 1000
        await receive_container(db.uow(), ReceiveContainer(shipment=number, code=code, weight_kg=weight), actor(plant))


async def dispose(db: Database, plant: str, codes: list[str], method: str = "Y10") -> None:
    await dispose_containers(db.uow(), DisposeContainers(codes=codes, method=method), actor(plant))


def policy(**changes: Any) -> MonitoringPolicy:
    return replace(MonitoringPolicy(), **changes)


# --- real local servers -------------------------------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HttpReceiver:
    """A real HTTP server on 127.0.0.1 (random port) that records every POST and answers with scripted
    statuses (200 once the script runs out)."""

    server: ThreadingHTTPServer
    requests: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def respond(self, *statuses: int) -> None:
        with self.lock:
            self.statuses.extend(statuses)

    def posts(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.path == path]


@contextmanager
def http_receiver() -> Iterator[HttpReceiver]:
    receiver: HttpReceiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with receiver.lock:
                receiver.requests.append(Received(self.path, dict(self.headers.items()), body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"ok": true}' if status < 400 else b'{"error": "scripted failure"}')

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver = HttpReceiver(server)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass
class Mailbox:
    messages: list[dict[str, Any]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            {"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "data": envelope.content.decode("utf-8")}
        )
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if address in m["to"]]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    """aiosmtpd's Controller: a real SMTP server in its own thread."""
    mailbox = Mailbox()
    port = _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()
