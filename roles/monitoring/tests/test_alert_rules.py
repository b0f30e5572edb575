"""The recorder alert rules, evaluated by Prometheus' own promtool on series."""

from pathlib import Path

from tests.shared.promtool import check_and_test_rules

RULES = Path(__file__).resolve().parents[1] / "files" / "vigie-recorder.rules.yml"

CASES = f"""
rule_files: [{RULES}]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      # cam1 keeps 1 day; its oldest footage is 1 day + 3 h old: alarm.
      - series: 'vigie_recorder_oldest_footage_age_seconds{{instance="r1",camera="cam1"}}'
        values: '97200+60x30'
      - series: 'vigie_recorder_retention_seconds{{instance="r1",camera="cam1"}}'
        values: '86400x30'
      # cam2 keeps 7 days; 6 days old: no alarm.
      - series: 'vigie_recorder_oldest_footage_age_seconds{{instance="r1",camera="cam2"}}'
        values: '518400+60x30'
      - series: 'vigie_recorder_retention_seconds{{instance="r1",camera="cam2"}}'
        values: '604800x30'
      - series: 'vigie_recorder_privacy_mask_leak{{instance="r1",camera="cam3"}}'
        values: '0 0 1 1'
      - series: 'vigie_recorder_privacy_mask_leak{{instance="r1",camera="cam4"}}'
        values: '0 0 0 0'
    alert_rule_test:
      - eval_time: 15m
        alertname: VigieFootagePastRetention
        exp_alerts:
          - exp_labels: {{severity: critical, instance: r1, camera: cam1}}
            exp_annotations:
              summary: "cam1: footage older than its retention on r1"
      - eval_time: 1m
        alertname: VigiePrivacyMaskLeak
        exp_alerts: []
      - eval_time: 3m
        alertname: VigiePrivacyMaskLeak
        exp_alerts:
          - exp_labels: {{severity: critical, instance: r1, camera: cam3}}
            exp_annotations:
              summary: "cam3: a privacy mask is not blank in the recordings"
"""


def test_alerts_fire_past_retention_and_on_a_mask_leak(tmp_path):
    check_and_test_rules(RULES, CASES, tmp_path)
