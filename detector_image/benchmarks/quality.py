"""Quality on real footage (opencv-doc's vtest.avi: a fixed camera over a campus path).

- tamper recall and latency: each tamper injected at known times, fresh analyzer per trial;
- false alarms per camera per 24 h: hours of looped footage, clean and with nuisance
  (dusk, lights switching, sensor noise), all classes on, site closed;
- intrusion recall: the empty scene (median of the video: real pixels, nobody in it),
  then people appear in the zone (real footage from a given offset).
"""

from __future__ import annotations

import datetime as dt
import statistics

import numpy as np
from common import FPS, TAMPERS, add_noise, config, gain, noise_bank, once_per_trial
from vigie_detector.analyzer import CameraAnalyzer

T0 = dt.datetime(2026, 1, 5, 2, 0, tzinfo=dt.UTC)  # a Monday night: closed


def analyze(analyzer, frame, i):
    return analyzer.process(frame, T0 + dt.timedelta(seconds=i / FPS), i / FPS)


def tamper_recall(frames: list[np.ndarray], starts_s=range(12, 74, 3)) -> list[dict]:
    rng = np.random.default_rng(11)
    rows = []
    for kind, inject in TAMPERS.items():
        latencies, wrong_kind, missed, early = [], 0, 0, 0
        for start in starts_s:
            cfg = config(["tamper"])
            analyzer = CameraAnalyzer(cfg.cameras[0], cfg)
            first = None
            tamper = once_per_trial(inject, rng)  # strength drawn once per trial
            for i in range((start + 5) * FPS):
                frame = tamper(frames[i]) if i >= start * FPS else frames[i]
                for ev in analyze(analyzer, frame, i):
                    if i < start * FPS:
                        early += 1
                    elif first is None:
                        first = (i / FPS - start, ev.kind)
            if first is None or first[0] > 2.0:
                missed += 1
            else:
                latencies.append(first[0])
                wrong_kind += first[1] != kind
        rows.append(
            {
                "kind": kind,
                "trials": len(list(starts_s)),
                "detected": len(latencies),
                "recall": len(latencies) / len(list(starts_s)),
                "right_kind": len(latencies) - wrong_kind,
                "latency_mean_s": statistics.mean(latencies) if latencies else None,
                "latency_max_s": max(latencies) if latencies else None,
                "false_before": early,
            }
        )
    return rows


def ping_pong(frames):
    """Loop without a jump: forward, then backward."""
    return frames + frames[-2:0:-1]


def false_alarms(frames: list[np.ndarray], hours: float) -> list[dict]:
    loop = ping_pong(frames)
    n = int(hours * 3600 * FPS)
    noise6 = noise_bank(frames[0].shape, 6)
    noise12 = noise_bank(frames[0].shape, 12, seed=1)
    dusk_frames = 30 * 60 * FPS  # 30 min from daylight to night

    def dusk(f, i):
        level = max(0.15, 1.0 - 0.85 * i / dusk_frames)
        out = gain(f, level)
        return add_noise(out, noise6[i % len(noise6)]) if level < 0.5 else out

    conditions = {
        "clean": lambda f, i: f,
        "dusk then night (gain 1 -> 0.15 in 30 min, noise)": dusk,
        "lights switched every 10 min (x0.5 / x1)": lambda f, i: (
            gain(f, 0.5) if (i // (600 * FPS)) % 2 else f
        ),
        "sensor noise (sigma 12)": lambda f, i: add_noise(f, noise12[i % len(noise12)]),
    }
    rows = []
    for name, nuisance in conditions.items():
        cfg = config(["tamper", "intrusion"])
        analyzer = CameraAnalyzer(cfg.cameras[0], cfg)
        tamper = 0
        for i in range(n):
            tamper += sum(
                ev.cls == "tamper" for ev in analyze(analyzer, nuisance(loop[i % len(loop)], i), i)
            )
        rows.append(
            {
                "footage": f"vtest, {name}",
                "hours": hours,
                "tamper_alarms": tamper,
                "per_24h": tamper * 24 / hours,
            }
        )
    return rows


def empty_scene_intrusion_false_alarms(frames: list[np.ndarray], hours: float) -> list[dict]:
    """Intrusion alarms on the empty scene with nuisance: there is nobody to find."""
    empty = np.median(np.stack(frames[::4]), axis=0).astype(np.uint8)
    noise = noise_bank(empty.shape, 8, seed=2)
    n = int(hours * 3600 * FPS)
    conditions = {
        "empty scene, sensor noise (sigma 8)": lambda i: add_noise(empty, noise[i % len(noise)]),
        "empty scene, lights switched every 60 s": lambda i: add_noise(
            gain(empty, 0.6) if (i // (60 * FPS)) % 2 else empty, noise[i % len(noise)]
        ),
    }
    rows = []
    for name, frame_at in conditions.items():
        cfg = config(["intrusion"])
        analyzer = CameraAnalyzer(cfg.cameras[0], cfg)
        alarms = sum(len(analyze(analyzer, frame_at(i), i)) for i in range(n))
        rows.append(
            {
                "footage": name,
                "hours": hours,
                "intrusion_alarms": alarms,
                "per_24h": alarms * 24 / hours,
                "hog_runs": analyzer.intrusion.verifications,
            }
        )
    return rows


def intrusion_recall(frames: list[np.ndarray], offsets_s=range(0, 70, 5)) -> dict:
    empty = np.median(np.stack(frames[::4]), axis=0).astype(np.uint8)
    noise = noise_bank(empty.shape, 3, seed=3)
    latencies, early, missed = [], 0, []
    for offset in offsets_s:
        cfg = config(["intrusion"])
        analyzer = CameraAnalyzer(cfg.cameras[0], cfg)
        before = 8 * FPS
        first = None
        for i in range(before + 10 * FPS):
            if i < before:
                frame = add_noise(empty, noise[i % len(noise)])
            else:
                frame = frames[offset * FPS + i - before]
            for _ in analyze(analyzer, frame, i):
                if i < before:
                    early += 1
                elif first is None:
                    first = (i - before) / FPS
        if first is None:
            missed.append(offset)
        else:
            latencies.append(first)
    trials = len(list(offsets_s))
    return {
        "trials": trials,
        "detected": len(latencies),
        "recall": len(latencies) / trials,
        "latency_mean_s": statistics.mean(latencies) if latencies else None,
        "latency_max_s": max(latencies) if latencies else None,
        "false_on_empty": early,
        "missed_offsets": missed,
    }
