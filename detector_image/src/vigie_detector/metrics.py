"""Prometheus metrics, labelled by site and camera."""

from prometheus_client import Counter, Gauge, Histogram

LABELS = ("site", "camera")
FRAMES = Counter("vigie_detector_frames_total", "frames analysed", LABELS)
RECEIVED = Counter("vigie_detector_frames_received_total", "frames read from a stream", LABELS)
FPS = Gauge("vigie_detector_frames_per_second", "frames analysed per second (last 10 s)", LABELS)
DECODE_ERRORS = Counter("vigie_detector_decode_errors_total", "failed reads from a stream", LABELS)
RECONNECTS = Counter("vigie_detector_reconnects_total", "stream (re)connection attempts", LABELS)
CONNECTED = Gauge("vigie_detector_stream_up", "1 while the stream delivers frames", LABELS)
LATENCY = Histogram(
    "vigie_detector_processing_seconds",
    "analysis time per frame",
    LABELS,
    buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25),
)
EVENTS = Counter("vigie_detector_events_total", "events raised", (*LABELS, "class", "kind"))
MQTT_UP = Gauge("vigie_detector_mqtt_connected", "1 while connected to the broker")
