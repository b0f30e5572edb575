"""The levée de doute in the lab, by real traffic: a camera simulator is paused,
the detector that watches it raises a real `signal_loss` tamper event, the
central access service grants the competent agencies, and each agency's own
identity receives (or not) its notification.

    .venv/bin/python -m lab.levee [--camera SITE-CAMERA]

Used at the end of `make lab` (prints who was notified and the URL the
competent operator opens) and by tests/lab/test_levee_*.py.
"""

from __future__ import annotations

import argparse
import json
import ssl
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as mqtt
import requests

from lab import docker_cli as d
from lab.central_credentials import fetch_ca, identity_files
from vigie import central

ROOT = Path(__file__).resolve().parents[1]
STATE = ROOT / ".lab" / "state.json"
# The detector's signal_loss_after_s (10 s) plus the time the simulator's
# pause takes to show: the event comes well within this.
EVENT_TIMEOUT_S = 60
# The camera `make lab` shows; the tests provoke theirs at another one (the
# detector raises one event per kind and camera per cool-down, 300 s).
DEMO_CAMERA = "hdd-versailles-accueil"
# How long `make lab` measures the live view of the levée de doute it shows.
LIVE_SECONDS = 20
# What a paused stream is to the detector (vigie_detector.tamper: no frame for
# signal_loss_after_s).
KIND = "signal_loss"


def agencies(state: dict) -> list[str]:
    """Every agency with a broker identity (the model's: administrators have none)."""
    users = central.broker_users(_inventory(state))
    return sorted(u.name.removeprefix("agency-") for u in users if u.kind == "agency")


def _inventory(state: dict):
    """The data the lab inventory is made from (its vigie.yml `path`)."""
    import yaml

    from vigie.loader import load_inventory

    folder = Path(state["inventory"])
    options = yaml.safe_load((folder / "vigie.yml").read_text())
    return load_inventory((folder / options["path"]).resolve())


def camera_id(cam: dict) -> str:
    """The camera's id in its site (topics, grants): its host name minus the site."""
    return cam["id"].removeprefix(cam["site"] + "-")


class LeveeError(RuntimeError):
    """The lab cannot show the flow (message says what is missing)."""


@dataclass
class Client:
    """One identity of the platform's CA, on the lab's central broker and gateway."""

    state: dict
    identity: str
    workdir: Path

    def __post_init__(self):
        self.ca = str(fetch_ca(self.state))
        self.cert, self.key = identity_files(self.state, self.identity, self.workdir)

    @property
    def url(self) -> str:
        return f"https://{self.state['central'][0]['address']}"

    def session(self) -> requests.Session:
        s = requests.Session()
        s.trust_env = False
        s.cert = (self.cert, self.key)
        s.verify = self.ca
        return s

    def mqtt(self, on_message=None) -> mqtt.Client:
        m = self.state["mqtt"]
        c = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=f"lab-{self.identity.replace('/', '-')}-{time.monotonic_ns()}",
        )
        c.tls_set(
            ca_certs=self.ca, certfile=self.cert, keyfile=self.key, cert_reqs=ssl.CERT_REQUIRED
        )
        connected = threading.Event()
        c.on_connect = lambda *a: connected.set()
        if on_message:
            c.on_message = on_message
        c.connect(m["host"], m["port"])
        c.loop_start()
        if not connected.wait(10):
            raise LeveeError(f"{self.identity}: no connection to the broker {m['host']}")
        return c


@dataclass
class Provoked:
    camera: dict  # the state's camera entry
    paused_at: float
    event: dict | None = None
    event_at: float | None = None  # when the broker delivered the event (monotonic)
    notified: dict[str, list[tuple[float, dict]]] = field(default_factory=dict)

    def first_notification(self, agency: str) -> tuple[float, dict] | None:
        got = self.notified.get(agency) or []
        return got[0] if got else None


def wait_detector(state: dict, cam: dict, timeout: float = 180) -> str:
    """Wait until the detector container watching `cam` is healthy (streams read,
    broker connected); returns its name."""
    label = f"{cam['site']}/{camera_id(cam)}"
    hosts = [h for h in state["hosts"].values() if h["kind"] == "detector_host"]
    end = time.monotonic() + timeout
    while True:
        for h in hosts:
            out = d.docker(
                "exec", h["container"], "docker", "ps", "--filter", "label=vigie.shard",
                "--format", '{{.Names}} {{.Label "vigie.cameras"}} {{.Status}}',
                check=False,
            )  # fmt: skip
            for line in out.splitlines():
                name, cams, *status = line.split(" ", 2)
                if label in cams.split(",") and "(healthy)" in " ".join(status):
                    return name
        if time.monotonic() > end:
            raise LeveeError(f"no healthy detector watches {label} (make lab-detectors)")
        time.sleep(3)


def provoke(state: dict, camera_host: str, workdir: Path, settle_s: float = 2.0) -> Provoked:
    """Pause one camera simulator (its stream stops, the socket stays open: the
    detector sees no frame) with every agency's identity listening on its own
    topic and the access service's identity on the camera's event topic; wait
    for the event and the notifications; resume the camera."""
    cam = next((c for c in state["cameras"] if camera_host in (c["id"], c["host"])), None)
    if cam is None:
        raise LeveeError(f"no camera {camera_host} in the lab")
    wait_detector(state, cam)
    names = agencies(state)
    notified: dict[str, list] = {a: [] for a in names}
    event: list[tuple[float, dict]] = []
    clients = []
    cid = camera_id(cam)

    def ours(doc: dict) -> bool:
        # The detector may report other things meanwhile (e.g. a `moved` tamper
        # when looping footage jumps): only this camera's signal loss counts.
        return doc.get("camera") == cid and doc.get("kind") == KIND

    def on_note(agency: str, payload: bytes) -> None:
        doc = json.loads(payload)
        if ours(doc):
            notified[agency].append((time.monotonic(), doc))

    for a in names:
        c = Client(state, central.agency_identity(a), workdir).mqtt(
            lambda _c, _u, msg, a=a: on_note(a, msg.payload)
        )
        c.subscribe(central.notification_topic(a), qos=1)
        clients.append(c)
    # The event as the broker delivers it (the service's identity may read events).
    watcher = Client(state, central.ACCESS_SERVICE, workdir).mqtt(
        lambda _c, _u, msg: event.append((time.monotonic(), json.loads(msg.payload)))
    )
    watcher.subscribe(central.event_topic(cam["site"], camera_id(cam)), qos=1)
    clients.append(watcher)
    time.sleep(1)
    d.docker("pause", cam["container"])
    out = Provoked(cam, time.monotonic(), notified=notified)
    try:
        end = time.monotonic() + EVENT_TIMEOUT_S
        while time.monotonic() < end:
            tampers = [(t, e) for t, e in event if e.get("class") == "tamper" and ours(e)]
            if tampers and any(notified.values()):
                out.event_at, out.event = tampers[0]
                break
            time.sleep(0.2)
        time.sleep(settle_s)  # let every other notification arrive (or not)
    finally:
        d.docker("unpause", cam["container"], check=False)
        for c in clients:
            c.disconnect()
            c.loop_stop()
    return out


def grant_of(client: Client, provoked: Provoked) -> dict | None:
    """The grant the service gave this client's agency for the provoked event."""
    r = client.session().get(f"{client.url}/api/events", timeout=10)
    r.raise_for_status()
    when = provoked.event["time"] if provoked.event else None
    for g in r.json()["grants"]:
        if g["event_time"] == when and g["camera"] == camera_id(provoked.camera):
            return g
    return None


def main(argv: list[str] | None = None) -> int:
    from rich.console import Console
    from rich.table import Table

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--camera", default=DEMO_CAMERA, help="camera host (<site>-<camera>)")
    parser.add_argument(
        "--live-seconds", type=float, default=LIVE_SECONDS,
        help="how long the competent operator's live view is measured (0: not at all)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    console = Console()
    if not STATE.exists():
        console.print("lab: no lab (.lab/state.json): run `make lab`")
        return 2
    state = json.loads(STATE.read_text())
    if not state.get("central"):
        console.print("lab: this lab has no central host")
        return 2
    with tempfile.TemporaryDirectory(prefix="vigie-levee-") as tmp:
        console.print(
            f"[bold]Levée de doute[/]: pausing camera [cyan]{args.camera}[/] "
            "(its detector should report a signal loss)…"
        )
        try:
            p = provoke(state, args.camera, Path(tmp))
        except (LeveeError, d.DockerError) as exc:
            console.print(f"[red]lab: {exc}[/]")
            return 1
        if p.event is None:
            console.print(f"[red]no tamper event from {args.camera} within {EVENT_TIMEOUT_S} s[/]")
            return 1
        console.print(
            f"event: {p.event['class']}/{p.event['kind']} at {p.event['time']} "
            f"(broker delivered it {p.event_at - p.paused_at:.1f} s after the pause)"
        )
        table = Table(title="Who was notified (each agency's own identity, its own topic)")
        for col in ("agency", "notified", "after the event", "grant"):
            table.add_column(col)
        competent = []
        for agency, got in sorted(p.notified.items()):
            if got:
                t, note = got[0]
                competent.append((agency, note))
                table.add_row(agency, "[green]yes[/]", f"{t - p.event_at:.3f} s", note["grant"])
            else:
                table.add_row(agency, "no", "", "")
        console.print(table)
        inv = _inventory(state)
        for agency, note in competent:
            ops = inv.agencies[agency].operators
            console.print(
                f"[bold]{agency}[/]: its operator ({ops[0] if ops else 'none declared'}) opens "
                f"[link]https://{state['central'][0]['address']}{note['url']}[/link] with its "
                f"certificate (playlist [cyan]/hls/{note['grant']}/index.m3u8[/])"
            )
        if competent and args.live_seconds > 0:
            return show_live(console, state, inv, competent, p, Path(tmp), args.live_seconds)
    return 0 if competent else 1


def recording_live(state: dict, cam: dict, timeout: float) -> bool:
    """Wait until the camera's recorder writes its live buffer again (2 segments)."""
    from vigie.desired import DesiredState
    from vigie.loader import load_inventory
    from vigie.options import read_options

    container = state["hosts"][cam["recorder"]]["container"]
    # The buffer's folder as the model hands it to this recorder's role.
    options = read_options(state["inventory"])
    desired = DesiredState.build(load_inventory(options.data_dir), options)
    buffer = desired.hosts[cam["recorder"]].vars["recorder__live_buffer_path"]
    playlist = f"{buffer}/{cam['id']}/live.m3u8"
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if d.docker("exec", container, "cat", playlist, check=False).count(".ts") >= 2:
            return True
        time.sleep(1)
    return False


def show_live(console, state, inv, competent, p: Provoked, workdir: Path, seconds: float) -> int:
    """The first competent operator clicks "Direct": the latency read off the picture."""
    from lab import live_view

    agency = next((a for a, _n in competent if inv.agencies[a].operators), None)
    if agency is None:
        console.print("[yellow]no competent agency has an operator: no live view to show[/]")
        return 1
    client = Client(state, inv.agencies[agency].operators[0], workdir)
    grant = grant_of(client, p)
    if grant is None:
        console.print(f"[red]{agency}: the service lists no grant for this event[/]")
        return 1
    # The camera was paused to raise the event: its recorder gave the stream up and
    # reconnects with a back-off; its live buffer is empty until then.
    if not recording_live(state, p.camera, timeout=60):
        console.print(f"[red]{p.camera['id']}: its recorder's live buffer did not come back[/]")
        return 1
    console.print(f'{agency}\'s operator clicks "Direct" (headless Chromium, {seconds:.0f} s)…')
    try:
        seen = live_view.watch(state, workdir / "live", client, grant, seconds)
        console.print(f"[bold]live view[/], glass to glass: {seen.summary()}")
    except (AssertionError, RuntimeError) as exc:
        console.print(f"[red]live view: {exc}[/]")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
