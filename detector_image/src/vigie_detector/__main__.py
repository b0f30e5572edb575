"""python -m vigie_detector {run,replay,check-config,healthcheck}."""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from vigie_detector.configfile import ConfigError, load_config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vigie_detector", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="watch the configured RTSP streams, publish events to MQTT")
    run.add_argument("--config", required=True)
    rep = sub.add_parser("replay", help="analyse video files, write events as JSON lines")
    rep.add_argument("--config", required=True)
    rep.add_argument("videos", nargs="+", metavar="VIDEO")
    rep.add_argument("--events-out", required=True, metavar="FILE.jsonl")
    rep.add_argument("--camera", help="camera id in the configuration (default: the first)")
    rep.add_argument("--start", help="wall-clock time of the first frame, ISO 8601 (default: now)")
    rep.add_argument("--snapshots", metavar="DIR", help="write masked snapshots here")
    chk = sub.add_parser("check-config", help="validate a configuration file")
    chk.add_argument("--config", required=True)
    hc = sub.add_parser("healthcheck", help="exit 0 when the running detector is healthy")
    hc.add_argument("--file", default="/tmp/vigie-detector-health.json")
    hc.add_argument("--max-age", type=float, default=30.0)
    args = parser.parse_args(argv)

    if args.command == "healthcheck":
        from vigie_detector.health import check

        return check(args.file, args.max_age)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.command == "check-config":
        print(f"{args.config}: ok ({len(config.cameras)} camera(s))")
        return 0
    if args.command == "replay":
        from vigie_detector.replay import ReplayError, replay

        start = dt.datetime.fromisoformat(args.start) if args.start else None
        if start is not None and start.tzinfo is None:
            start = start.replace(tzinfo=dt.UTC)
        try:
            n = replay(config, args.videos, args.events_out, args.camera, start, args.snapshots)
        except ReplayError as exc:
            print(f"vigie_detector: {exc}", file=sys.stderr)
            return 2
        print(f"{n} event(s) -> {args.events_out}", file=sys.stderr)
        return 0
    if config.mqtt is None:
        print(f"{args.config}:1: DETECTOR-CONFIG: `run` needs an `mqtt:` section", file=sys.stderr)
        return 2
    from vigie_detector.service import run_service

    return run_service(config)


if __name__ == "__main__":
    sys.exit(main())
