"""The datacenter's services on loopback, for real: mosquitto (TLS, client
certificates, the ACL the model generates), nginx (mutual TLS, auth_request, the
role's own template), a recorder's read-only segment server (nginx, JSON index)
holding H.264 segments cut by ffmpeg from real footage, and vigie-access itself.

Every prerequisite must exist: a missing binary fails the run, it never skips.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import requests
from ruamel.yaml import YAML

from lab.workstation import need
from tests.gateway.gw_footage import encode_segments, file_segments, footage_dir, live_buffer
from tests.gateway.gw_pki import TestPKI
from tests.gateway.gw_procs import (
    ROOT,
    Proc,
    free_port,
    port_open,
    render,
    role_hand_over,
    service_proc,
)
from vigie import central
from vigie.desired import LIVE_PATH, DesiredState
from vigie.desired.gateway import GatewayHandOver
from vigie.loader import load_inventory

SEGMENT_S = 2
SITE, CAMERA = "col-rameau-versailles", "portail"
LIVE_CAMERA = "hall"
SESSION_IDLE_S = 3  # a live session without a request ends after this (journaled)
# The collège's intrusion panel, as the inventory names it (if the pilot has none).
ALARM_SOURCE = {
    "id": "centrale-intrusion",
    "kind": "intrusion_panel",
    "identity": f"{SITE}/alarm-01",
    "cameras": ["couloir-a", "couloir-b"],
}
# Pseudonymous operators for the pilot's agencies, if the pilot has none.
OPERATORS = {
    "dipn78": ["dipn78/op-0001", "dipn78/op-0002"],
    "cd78-supervision": ["cd78-supervision/op-0001"],
    "ggd78": ["ggd78/op-0001"],
    "pm-sartrouville": ["pm-sartrouville/op-0001"],
    "sdis78": ["sdis78/op-0001"],
}


def test_inventory(dst: Path) -> Path:
    """The pilot, plus what the tests need if the pilot lacks it: pseudonymous
    operators on its agencies, and an alarm source at the test collège."""
    shutil.copytree(ROOT / "inventories/pilot", dst)
    yaml = YAML()
    for path in sorted(dst.rglob("*.yml")):
        doc = yaml.load(path.read_text())
        if not isinstance(doc, dict) or path.name == "netplan.lock.yml":
            continue
        for site in doc.get("sites") or []:
            if site["id"] == SITE and not site.get("alarm_sources"):
                site["alarm_sources"] = [ALARM_SOURCE]
        for agency in doc.get("agencies") or []:
            ident = agency["id"]
            agency.setdefault("dpo", f"dpo@{ident}.example")
            if agency["kind"] == "platform_admin":  # administrators never view: no operators
                continue
            if not agency.get("operators"):
                agency["operators"] = OPERATORS.get(ident, [f"{ident}/op-0001"])
            if not agency.get("supervisors"):
                agency["supervisors"] = [f"{ident}/sup-0001"]
        with path.open("w") as fh:
            yaml.dump(doc, fh)
    return dst


def nginx_proc(d: Path, servers: str, port: int) -> Proc:
    main = d / "nginx.conf"
    main.write_text(
        f"""daemon off;
user root;
worker_processes {os.environ.get("VIGIE_NGINX_WORKERS", "1")};
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log {os.environ.get("VIGIE_NGINX_ACCESS_LOG", f"{d}/access.log")};
  client_body_temp_path {d}/body; proxy_temp_path {d}/proxy;
  fastcgi_temp_path {d}/fcgi; uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;
  types {{ video/mp2t ts; application/json json; }}
  {servers}
}}
"""
    )
    return Proc(
        f"nginx {d.name}",
        [need("nginx"), "-c", str(main), "-e", str(d / "error.log")],
        d / "stdout",
        lambda: port_open(port),
    ).start()


class Gateway:
    """Handles on the running services, and helpers that act like their clients."""

    def __init__(self, root: Path):
        self.root = root
        self.inv_path = test_inventory(root / "inventory")
        self.inv = load_inventory(self.inv_path)
        self.sources = central.camera_sources(self.inv)
        # What the model hands the service (vigie.desired.gateway), as a dict.
        self.model = DesiredState.build(self.inv).gateway
        self.pki = TestPKI(root / "pki")
        self.pki.issue("127.0.0.1", server=True)
        for user in central.broker_users(self.inv):
            self.pki.issue(user.name, kind=user.kind)
        self.people = {a.id: [*a.operators, *a.supervisors] for a in self.inv.agencies.values()}
        for ops in self.people.values():
            for op in ops:
                self.pki.issue(op)
        self.pki.issue("vigie-ops/admin-01")  # an administrator's certificate of the same CA
        self.pki.issue("dipn78/op-9999")  # revoked: nginx refuses it (CRL)
        self.pki.revoke("dipn78/op-9999")
        self.mqtt_port = free_port()
        self.https_port = free_port()
        self.metrics_port = free_port()
        self.recorder_port = free_port()
        self.snapshot_port = free_port()
        self.snapshots = root / "detector-host/snapshots"
        self.storage = root / "recordings"
        self.socket = root / "run/http.sock"
        self.delivery_log = root / "run/delivery-log.sock"
        self.socket.parent.mkdir()
        self.procs: dict[str, Proc] = {}

    @property
    def handover(self) -> GatewayHandOver:
        """The hand-over the running service reads (its servers on loopback)."""
        return GatewayHandOver.model_validate_json(self.handover_path.read_text())

    def op(self, agency: str, index: int = 0) -> str:
        """The pseudonym of one of the agency's operators (the inventory's)."""
        return self.people[agency][index]

    # -- recorder footage ----------------------------------------------------------
    def make_footage(self) -> None:
        parts = encode_segments(footage_dir() / "vtest.avi", self.root / "parts", SEGMENT_S)
        self.parts = parts
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        first = now - dt.timedelta(minutes=9, seconds=now.second % SEGMENT_S)
        count = int((now - first).total_seconds() // SEGMENT_S) - 2
        self.portail = file_segments(
            parts, self.storage, f"{SITE}-{CAMERA}", first, count, SEGMENT_S
        )

    def start_live(self, camera: str = CAMERA) -> subprocess.Popen:
        """The recorder's live buffer of a camera, where its segment server serves it
        (`<LIVE_PATH>/<site>-<camera>/`); waits for its first playlist."""
        out = self.storage / LIVE_PATH.strip("/") / f"{SITE}-{camera}"
        proc = live_buffer(footage_dir() / "vtest.avi", out)
        end = time.monotonic() + 20
        while not (out / "live.m3u8").exists():
            assert proc.poll() is None, "ffmpeg's live buffer stopped"
            assert time.monotonic() < end, "no live playlist after 20 s"
            time.sleep(0.1)
        self.live_dir = out
        return proc

    def make_snapshot(self, site: str, camera: str, when: dt.datetime, cls: str, kind: str) -> str:
        """What the detector does when it raises an event: the detector's own code
        (vigie_detector.events.save_snapshot) writes a JPEG of a real frame on the
        detector host; the event carries its name."""
        import cv2
        from vigie_detector.events import Event, save_snapshot

        cap = cv2.VideoCapture(str(footage_dir() / "vtest.avi"))
        cap.set(cv2.CAP_PROP_POS_FRAMES, 50)
        ok, frame = cap.read()
        cap.release()
        assert ok, "no frame in the test footage"
        ev = Event(site, camera, cls, kind, None, when, 0.9, frame=frame)
        return save_snapshot(ev, self.snapshots)

    # -- servers ---------------------------------------------------------------------
    def start(self) -> None:
        self._broker()
        self._nginx()
        self._service()

    def _broker(self) -> None:
        d = self.root / "broker"
        d.mkdir()
        (d / "acl").write_text(central.mosquitto_acl(self.inv))
        cert, key = self.pki.certs["127.0.0.1"]
        conf = render(
            "roles/broker/templates/mosquitto.conf.j2",
            d / "mosquitto.conf",
            broker__user="root",
            broker__acl_file=d / "acl",
            broker__data_dir=d,
            broker__log_dest=f"file {d}/log",
            broker__port=self.mqtt_port,
            broker__bind="127.0.0.1",
            broker__ca=self.pki.ca,
            broker__tls_cert=cert,
            broker__tls_key=key,
            broker__crl=self.pki.crl,
        )
        self.broker_log = d / "log"
        self.procs["broker"] = Proc(
            "mosquitto",
            [need("mosquitto"), "-c", str(conf)],
            d / "stdout",
            lambda: port_open(self.mqtt_port),
        ).start()

    def _nginx(self) -> None:
        d = self.root / "nginx"
        d.mkdir()
        cert, key = self.pki.certs["127.0.0.1"]
        server = render(
            "roles/access_gateway/templates/vigie-access-nginx.conf.j2",
            d / "gateway.conf",
            access_gateway__socket=self.socket,
            access_gateway__listen=f"127.0.0.1:{self.https_port}",
            access_gateway__server_name="localhost",
            access_gateway__tls_cert=cert,
            access_gateway__tls_key=key,
            access_gateway__ca=self.pki.ca,
            access_gateway__crl=self.pki.crl,
            access_gateway__metrics_listen=f"127.0.0.1:{self.metrics_port}",
            access_gateway__live_cache=d / "live-cache",
            access_gateway__live_cache_keys="1m",
            access_gateway__live_cache_size="64m",
            access_gateway__live_cache_valid="10s",
            access_gateway__delivery_log=self.delivery_log,
        )
        self.procs["nginx"] = nginx_proc(d, f"include {server};", self.https_port)
        # The recorder's segment server (read-only, JSON index): in production on the
        # recorder, reachable from the gateway only. Its own process: it can fail alone.
        r = self.root / "recorder"
        r.mkdir()
        self.procs["recorder"] = nginx_proc(
            r,
            f"""server {{
    listen 127.0.0.1:{self.recorder_port};
    root {self.storage};
    location / {{ autoindex on; autoindex_format json; limit_except GET {{ deny all; }} }}
  }}""",
            self.recorder_port,
        )
        # The detector host's snapshot server (read-only, the detector's folder under
        # /snapshots/): in production on the detector host, reachable from the gateway only.
        self.snapshots.mkdir(parents=True, exist_ok=True)
        det = self.root / "detector-host/nginx"
        det.mkdir()
        self.procs["snapshots"] = nginx_proc(
            det,
            f"""server {{
    listen 127.0.0.1:{self.snapshot_port};
    location /snapshots/ {{ alias {self.snapshots}/; limit_except GET {{ deny all; }} }}
    location / {{ return 404; }}
  }}""",
            self.snapshot_port,
        )

    def _service(self) -> None:
        d = self.root / "service"
        d.mkdir()
        subprocess.run(
            [os.sys.executable, "-m", "vigie_access", "keygen", str(d / "keys")], check=True
        )
        cert, key = self.pki.certs[central.ACCESS_SERVICE]
        # The model's hand-over, its servers moved to this test's loopback ports.
        doc = json.loads(json.dumps(self.model))
        doc["broker"]["port"] = self.mqtt_port
        doc["segment_seconds"] = SEGMENT_S
        for cam in doc["cameras"].values():
            cam["recorder_url"] = f"http://127.0.0.1:{self.recorder_port}"
            if cam["snapshot_url"]:
                cam["snapshot_url"] = f"http://127.0.0.1:{self.snapshot_port}"
        self.handover_path = role_hand_over(doc, d / "handover.json")
        self.config = d / "config.yml"
        self.config.write_text(
            json.dumps(
                {
                    "handover": str(self.handover_path),
                    "socket": str(self.socket),
                    "database": str(d / "access.sqlite"),
                    "journal": str(d / "journal"),
                    "keys": str(d / "keys"),
                    "exports": str(d / "exports"),
                    "mqtt": {
                        "host": "127.0.0.1",
                        "ca_file": str(self.pki.ca),
                        "cert_file": str(cert),
                        "key_file": str(key),
                    },
                    "settle_seconds": 1,
                    "delivery_log": str(self.delivery_log),
                    "session_idle_s": SESSION_IDLE_S,
                }
            )
        )
        self.service_dir = d
        self.procs["service"] = service_proc(self.config, d / "log", self.socket)
        self.start_service()

    def start_service(self) -> None:
        self.socket.unlink(missing_ok=True)
        self.procs["service"].start()
        time.sleep(0.5)  # MQTT session resumed

    def stop(self) -> None:
        for p in reversed(list(self.procs.values())):
            p.stop()

    # -- clients -------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    def operator(self, cn: str) -> requests.Session:
        s = requests.Session()
        s.trust_env = False  # REQUESTS_CA_BUNDLE would replace our CA (requests #3829)
        s.cert = tuple(str(p) for p in self.pki.certs[cn])
        s.verify = str(self.pki.ca)
        return s

    def mqtt_client(self, cn: str, *, v5: bool = False) -> mqtt.Client:
        c = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=f"test-{cn}-{time.monotonic_ns()}",
            protocol=mqtt.MQTTv5 if v5 else mqtt.MQTTv311,
        )
        cert, key = self.pki.certs[cn]
        c.tls_set(ca_certs=str(self.pki.ca), certfile=str(cert), keyfile=str(key))
        connected = threading.Event()
        c.on_connect = lambda *a: connected.set()
        c.connect("127.0.0.1", self.mqtt_port)
        c.loop_start()
        assert connected.wait(5), f"{cn} could not connect to the broker"
        return c

    def publish_event(
        self,
        cn: str,
        site: str,
        camera: str,
        cls: str,
        when: dt.datetime,
        kind: str = "person",
        snapshot: str | None = None,
    ):
        """What vigie_detector publishes (events.Event.to_json), QoS 1."""
        doc = {
            "site": site,
            "camera": camera,
            "class": cls,
            "kind": kind,
            "zone": None,
            "time": when.astimezone(dt.UTC).isoformat(timespec="milliseconds"),
            "score": 0.9,
            "snapshot": snapshot,
        }
        c = self.mqtt_client(cn)
        info = c.publish(central.event_topic(site, camera), json.dumps(doc, sort_keys=True), qos=1)
        info.wait_for_publish(5)
        c.disconnect()
        c.loop_stop()
        return doc

    def grants(self, cn: str) -> list[dict]:
        r = self.operator(cn).get(f"{self.url}/api/events", timeout=5)
        r.raise_for_status()
        return r.json()["grants"]

    def wait_grant(self, cn: str, event_time: str, timeout: float = 5) -> dict:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for g in self.grants(cn):
                if g["event_time"] == event_time:
                    return g
            time.sleep(0.05)
        raise AssertionError(f"no grant for {cn} at {event_time} within {timeout} s")

    def journal_entries(self) -> list[dict]:
        from vigie_access.journal import read_entries

        return read_entries(self.service_dir / "journal")
