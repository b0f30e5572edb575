#!/usr/bin/env python3
"""RTSP camera simulator: serves pre-encoded H.264 files of real footage, looped.

No decoding or re-encoding at run time (the CPU stays free for the code under
test). Each file is split once into access units (h264parse -> appsink); an
appsrc then replays them forever with monotonic timestamps at the given frame
rate, so clients and recorders see a clean endless stream, like a camera.
Runs with the system python3 and Debian's GStreamer (gir1.2-gst-rtsp-server-1.0),
on the host or in the image vigie/camera-sim:bookworm.

With --credentials FILE (lines "user:password"), every mount requires RTSP
authentication (digest, or basic with --auth basic), like a real camera: a client with a wrong or
no credential gets 401 and no stream. The password is read from a file, never
from the command line.

    camera_sim.py --address 127.0.0.1 --port 8554 --mount /cam1=FILE.h264[@FPS] ...
"""

import argparse
import os
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

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


def parse_mount(text: str) -> tuple[str, str, int]:
    """'/cam1=/data/vtest.h264@5' -> ('/cam1', '/data/vtest.h264', 5)."""
    mount, sep, rest = text.partition("=")
    if not sep or not mount.startswith("/"):
        raise argparse.ArgumentTypeError(f"expected /PATH=FILE[@FPS], got {text!r}")
    path, fps = rest.rsplit("@", 1) if "@" in rest else (rest, "5")
    if not fps.isdigit() or int(fps) <= 0:
        raise argparse.ArgumentTypeError(f"bad frame rate in {text!r}")
    return mount, path, int(fps)


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


class LoopingFactory(GstRtspServer.RTSPMediaFactory):
    """One shared pipeline per mount (like a camera's single encoder)."""

    def __init__(self, units: list[bytes], fps: int):
        super().__init__()
        self.units, self.fps = units, fps
        self.set_shared(True)
        self.set_launch(
            f"( appsrc name=src is-live=true format=time caps={AU_CAPS},framerate={fps}/1 "
            "! h264parse config-interval=-1 ! rtph264pay name=pay0 pt=96 config-interval=-1 )"
        )
        self.connect("media-configure", self._on_media_configure)

    def _on_media_configure(self, _factory, media):
        src = media.get_element().get_by_name("src")
        state = {"n": 0}
        duration = Gst.SECOND // self.fps

        def need_data(appsrc, _length):
            n = state["n"]
            buf = Gst.Buffer.new_wrapped(self.units[n % len(self.units)])
            buf.pts = buf.dts = n * duration
            buf.duration = duration
            state["n"] = n + 1
            appsrc.emit("push-buffer", buf)

        src.connect("need-data", need_data)


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
        required=True,
        help="/PATH=FILE.h264[@FPS] (repeatable; FPS defaults to 5)",
    )
    parser.add_argument(
        "--credentials", metavar="FILE", help="require RTSP auth: FILE of user:password lines"
    )
    parser.add_argument("--auth", choices=["digest", "basic"], default="digest")
    args = parser.parse_args()

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address(args.address)
    server.set_service(str(args.port))
    mounts = server.get_mount_points()
    factories = []
    for mount, path, fps in args.mount:
        factories.append(LoopingFactory(load_access_units(path), fps))
        mounts.add_factory(mount, factories[-1])
    if args.credentials:
        require_auth(server, factories, read_credentials(args.credentials), args.auth)
    if server.attach(None) == 0:
        print(f"camera_sim: cannot listen on {args.address}:{args.port}", file=sys.stderr)
        return 1

    loop = GLib.MainLoop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
    auth = "authentication required" if args.credentials else "no authentication"
    for mount, path, fps in args.mount:
        print(
            f"camera_sim: rtsp://{args.address}:{args.port}{mount} <- {path} @ {fps} fps ({auth})",
            flush=True,
        )
    loop.run()
    # Nothing to flush; a streaming thread blocked on a vanished client could
    # otherwise hold up interpreter teardown (seen once after many clients).
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
