#!/usr/bin/env python3
"""RTSP camera simulator: serves pre-encoded H.264 files of real footage, looped.

No decoding or re-encoding at run time (the CPU stays free for the code under
test). Each file is split once into access units (h264parse -> appsink); an
appsrc then replays them forever with monotonic timestamps at the given frame
rate, so clients and recorders see a clean endless stream, like a camera.
A /GOP after the frame rate checks the file has a key frame at least that often.

--clock-mount instead decodes each frame, burns the wall-clock time into it
when it is produced (clockcode.py: a row of black and white blocks) and
re-encodes it like a camera's encoder (x264, zero latency, no B-frames, a key
frame every GOP seconds, 1 by default), so a viewer's latency can be read from
the picture, glass to glass. About 3 % of a core per 640x360 5 fps stream.
Runs with the system python3 and Debian's GStreamer (gir1.2-gst-rtsp-server-1.0),
on the host or in the image vigie/camera-sim:bookworm.

With --credentials FILE (lines "user:password"), every mount requires RTSP
authentication (digest, or basic with --auth basic), like a real camera: a client with a wrong or
no credential gets 401 and no stream. The password is read from a file, never
from the command line.

    camera_sim.py --address 127.0.0.1 --port 8554 --mount /cam1=FILE.h264[@FPS[/GOP]] ...
        [--clock-mount /live=FILE.h264[@FPS[/GOP]]]
"""

import argparse
import itertools
import os
import signal
import sys
from pathlib import Path
from typing import NamedTuple

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import clockcode  # noqa: E402

AU_CAPS = "video/x-h264,stream-format=byte-stream,alignment=au"
ROLE = "camera-user"


def read_credentials(path: str) -> list[tuple[str, str]]:
    """'user:password' lines (blank lines and # comments ignored)."""
    pairs = []
    with open(path, encoding="utf-8") as stream:
        for line in stream:
            line = line.strip()
            if line and not line.startswith("#"):
                user, sep, password = line.partition(":")
                if not sep or not user or not password:
                    raise SystemExit(f"camera_sim: {path}: expected user:password lines")
                pairs.append((user, password))
    if not pairs:
        raise SystemExit(f"camera_sim: {path}: no credential")
    return pairs


def require_auth(server, factories, credentials: list[tuple[str, str]], method: str) -> None:
    """Digest (default, as cameras do) or basic: only authenticated users may play a mount.
    GI exposes the methods as an enum, not flags: one method per server."""
    auth = GstRtspServer.RTSPAuth()
    token = GstRtspServer.RTSPToken()
    token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, ROLE)
    for user, password in credentials:
        if method == "basic":
            auth.add_basic(GstRtspServer.RTSPAuth.make_basic(user, password), token)
        else:
            auth.add_digest(user, password, token)
    auth.set_supported_methods(
        GstRtsp.RTSPAuthMethod.BASIC if method == "basic" else GstRtsp.RTSPAuthMethod.DIGEST
    )
    server.set_auth(auth)
    role = Gst.Structure.new_from_string(
        f"{ROLE}, media.factory.access=(boolean)true, media.factory.construct=(boolean)true"
    )
    for factory in factories:
        factory.add_role_from_structure(role)


class Mount(NamedTuple):
    path: str  # RTSP path
    file: str
    fps: int
    gop: float | None  # key-frame interval, seconds (None: the file's, unchecked)
    clock: bool = False


def parse_mount(text: str, clock: bool = False) -> Mount:
    """'/cam1=/data/vtest.h264@5/1' -> Mount('/cam1', '/data/vtest.h264', 5, 1.0)."""
    mount, sep, rest = text.partition("=")
    if not sep or not mount.startswith("/"):
        raise argparse.ArgumentTypeError(f"expected /PATH=FILE[@FPS[/GOP]], got {text!r}")
    path, spec = rest.rsplit("@", 1) if "@" in rest else (rest, "5")
    fps, _, gop = spec.partition("/")
    if not fps.isdigit() or int(fps) <= 0:
        raise argparse.ArgumentTypeError(f"bad frame rate in {text!r}")
    try:
        seconds = float(gop) if gop else None
    except ValueError:
        seconds = -1.0
    if seconds is not None and not (seconds > 0 and round(int(fps) * seconds) >= 1):
        raise argparse.ArgumentTypeError(f"bad key-frame interval in {text!r}")
    return Mount(mount, path, int(fps), seconds, clock)


def keyframe_frames(mount: Mount) -> int:
    """Frames between key frames (1 s when a clock mount gives none)."""
    return max(1, round(mount.fps * (mount.gop or 1.0)))


def check_gop(mount: Mount, units: list[bytes]) -> None:
    """A served file cannot change its key frames: refuse one sparser than asked."""
    idr = [i for i, au in enumerate(units) if is_idr(au)]
    if not idr:
        raise SystemExit(f"camera_sim: no key frame in {mount.file}")
    gaps = [b - a for a, b in itertools.pairwise(idr)] + [len(units) - idr[-1] + idr[0]]
    if max(gaps) > keyframe_frames(mount):
        raise SystemExit(
            f"camera_sim: {mount.file} has {max(gaps)} frames between key frames, "
            f"{mount.path} asks for at most {keyframe_frames(mount)}: re-encode it "
            "(encode.sh SRC OUT SIZE FPS GOP)"
        )


def is_idr(au: bytes) -> bool:
    """Does this Annex-B access unit hold an IDR slice (NAL type 5)?"""
    i = au.find(b"\x00\x00\x01")
    while i >= 0 and i + 3 < len(au):
        if au[i + 3] & 0x1F == 5:
            return True
        i = au.find(b"\x00\x00\x01", i + 3)
    return False


def load_access_units(path: str) -> list[bytes]:
    """Split an Annex-B file into access units (one per frame), once, in memory."""
    pipeline = Gst.parse_launch(
        f'filesrc location="{path}" ! h264parse config-interval=-1 ! {AU_CAPS} '
        "! appsink name=out sync=false"
    )
    sink = pipeline.get_by_name("out")
    pipeline.set_state(Gst.State.PLAYING)
    units = []
    while (sample := sink.emit("pull-sample")) is not None:
        buf = sample.get_buffer()
        units.append(buf.extract_dup(0, buf.get_size()))
    pipeline.set_state(Gst.State.NULL)
    if not units:
        raise SystemExit(f"camera_sim: no H.264 access unit in {path}")
    return units


# Decoded frames wait at clocksync for their time, so the code is drawn when the
# frame is due (not when upstream runs ahead into the server's queues), then
# encoded as a camera would: no lookahead, no B-frames, fixed key-frame interval.
# One x264 thread: frame threads would delay each frame, and sliced threads'
# multi-slice frames came out of the RTP path undecodable (P-frames corrupt).
CLOCK_CHAIN = (
    "h264parse ! {decoder} ! clocksync ! videoconvert ! video/x-raw,format=BGRx "
    "! cairooverlay name=overlay ! videoconvert ! video/x-raw,format=I420 "
    "! x264enc tune=zerolatency threads=1 sliced-threads=false speed-preset=ultrafast "
    "bframes=0 key-int-max={keyint} bitrate=1024 "
    "! video/x-h264,profile=constrained-baseline,stream-format=byte-stream "
    "! h264parse config-interval=-1"
)


def decoder() -> str:
    for name in ("openh264dec", "avdec_h264"):  # gstreamer1.0-plugins-bad, or -libav
        if Gst.ElementFactory.find(name):
            return name
    raise SystemExit("camera_sim: no H.264 decoder (gstreamer1.0-plugins-bad's openh264dec)")


def check_clock_elements() -> None:
    """Fail at start, naming the package, not when the first client connects."""
    needed = {"x264enc": "gstreamer1.0-plugins-ugly", "cairooverlay": "gstreamer1.0-plugins-good",
              "clocksync": "libgstreamer1.0-0"}  # fmt: skip
    missing = [f"{e} ({pkg})" for e, pkg in needed.items() if not Gst.ElementFactory.find(e)]
    try:
        gi.require_foreign("cairo")
    except ImportError:
        missing.append("cairo for GObject (python3-gi-cairo)")
    decoder()
    if missing:
        raise SystemExit(f"camera_sim: --clock-mount needs {', '.join(missing)}")


class LoopingFactory(GstRtspServer.RTSPMediaFactory):
    """One shared pipeline per mount (like a camera's single encoder)."""

    def __init__(self, units: list[bytes], mount: Mount):
        super().__init__()
        self.units, self.fps, self.clock = units, mount.fps, mount.clock
        self.set_shared(True)
        chain = (
            CLOCK_CHAIN.format(decoder=decoder(), keyint=keyframe_frames(mount))
            if mount.clock
            else "h264parse config-interval=-1"
        )
        self.set_launch(
            f"( appsrc name=src is-live=true format=time caps={AU_CAPS},framerate={self.fps}/1 "
            f"! {chain} ! rtph264pay name=pay0 pt=96 config-interval=-1 )"
        )
        self.connect("media-configure", self._on_media_configure)

    def _on_media_configure(self, _factory, media):
        src = media.get_element().get_by_name("src")
        if self.clock:
            burn_clock(media.get_element().get_by_name("overlay"))
        state = {"n": 0, "pts": 0}
        duration = Gst.SECOND // self.fps

        def need_data(appsrc, _length):
            n = state["n"]
            if self.clock:
                skip_missed(appsrc, state, duration)
            buf = Gst.Buffer.new_wrapped(self.units[n % len(self.units)])
            buf.pts = buf.dts = state["pts"]
            buf.duration = duration
            state["n"], state["pts"] = n + 1, state["pts"] + duration
            appsrc.emit("push-buffer", buf)

        src.connect("need-data", need_data)


def skip_missed(appsrc, state: dict, duration: int) -> None:
    """After the simulator was frozen (docker pause), resume at the clock's time:
    the frames it missed never existed, as for a camera, instead of being sent
    in a burst, each stamped 'now' (seen: 50 frames in 0.2 s). Clock mounts only:
    the footage keeps its frame order, so decoding is unaffected."""
    clock = appsrc.get_clock()
    if clock is not None:
        running = clock.get_time() - appsrc.get_base_time()
        if state["pts"] + duration < running:
            state["pts"] = running


def burn_clock(overlay) -> None:
    """Draw the wall-clock code on each frame as it passes (cairo, white = 1)."""
    size = {"width": 0}

    def on_caps(_overlay, caps):
        size["width"] = caps.get_structure(0).get_value("width")

    def on_draw(_overlay, ctx, _pts, _duration):
        for x, y, w, h, bit in clockcode.blocks(clockcode.now_ms(), size["width"]):
            ctx.set_source_rgb(bit, bit, bit)
            ctx.rectangle(x, y, w, h)
            ctx.fill()

    overlay.connect("caps-changed", on_caps)
    overlay.connect("draw", on_draw)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--address", default="127.0.0.1", help="listen address (loopback by default)"
    )
    parser.add_argument("--port", type=int, default=8554)
    parser.add_argument(
        "--mount",
        type=parse_mount,
        action="append",
        default=[],
        help="/PATH=FILE.h264[@FPS[/GOP]] (repeatable; FPS defaults to 5, GOP in seconds "
        "is checked against the file)",
    )
    parser.add_argument(
        "--clock-mount",
        type=lambda text: parse_mount(text, clock=True),
        action="append",
        default=[],
        help="/PATH=FILE.h264[@FPS[/GOP]]: the wall-clock code burned in, re-encoded with "
        "a key frame every GOP seconds (default 1)",
    )
    parser.add_argument(
        "--credentials", metavar="FILE", help="require RTSP auth: FILE of user:password lines"
    )
    parser.add_argument("--auth", choices=["digest", "basic"], default="digest")
    args = parser.parse_args()
    if not args.mount and not args.clock_mount:
        parser.error("at least one --mount or --clock-mount")

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address(args.address)
    server.set_service(str(args.port))
    mounts = server.get_mount_points()
    if args.clock_mount:
        check_clock_elements()
    factories = []
    for mount in args.mount + args.clock_mount:
        units = load_access_units(mount.file)
        if mount.gop and not mount.clock:
            check_gop(mount, units)
        factories.append(LoopingFactory(units, mount))
        mounts.add_factory(mount.path, factories[-1])
    if args.credentials:
        require_auth(server, factories, read_credentials(args.credentials), args.auth)
    if server.attach(None) == 0:
        print(f"camera_sim: cannot listen on {args.address}:{args.port}", file=sys.stderr)
        return 1

    loop = GLib.MainLoop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
    auth = "authentication required" if args.credentials else "no authentication"
    for m in args.mount + args.clock_mount:
        mode = f", clock code, key frame every {keyframe_frames(m)} frames" if m.clock else ""
        print(
            f"camera_sim: rtsp://{args.address}:{args.port}{m.path} <- {m.file} @ {m.fps} fps "
            f"({auth}{mode})",
            flush=True,
        )
    loop.run()
    # Nothing to flush; a streaming thread blocked on a vanished client could
    # otherwise hold up interpreter teardown (seen once after many clients).
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
