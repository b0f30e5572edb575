"""vigie's lawful anomaly detector: intrusion and camera tamper, events to MQTT."""

__version__ = "0.1.0"
