"""The witness's alert rules, evaluated by Prometheus' own promtool on series."""

from pathlib import Path

from tests.shared.promtool import check_and_test_rules

RULES = Path(__file__).resolve().parents[1] / "files" / "vigie-witness.rules.yml"

CASES = f"""
rule_files: [{RULES}]
evaluation_interval: 1m
tests:
  - interval: 5m
    input_series:
      # w1: fine, then refuses the journal at the 4th run.
      - series: 'vigie_witness_journal_refused{{instance="w1"}}'
        values: '0 0 0 1 1'
      - series: 'vigie_witness_up{{instance="w1"}}'
        values: '1 1 1 0 0'
      - series: 'vigie_witness_last_run_timestamp_seconds{{instance="w1"}}'
        values: '0+300x12'
      # w2: cannot reach the central host from its 2nd run on.
      - series: 'vigie_witness_journal_refused{{instance="w2"}}'
        values: '0x12'
      - series: 'vigie_witness_up{{instance="w2"}}'
        values: '1 0x11'
      - series: 'vigie_witness_last_run_timestamp_seconds{{instance="w2"}}'
        values: '0+300x12'
      # w3: its timer stopped after the 2nd run (the file stays as it was).
      - series: 'vigie_witness_journal_refused{{instance="w3"}}'
        values: '0x12'
      - series: 'vigie_witness_up{{instance="w3"}}'
        values: '1x12'
      - series: 'vigie_witness_last_run_timestamp_seconds{{instance="w3"}}'
        values: '0 300x11'
    alert_rule_test:
      - eval_time: 10m
        alertname: VigieJournalRefused
        exp_alerts: []
      - eval_time: 15m
        alertname: VigieJournalRefused
        exp_alerts:
          - exp_labels: {{severity: critical, instance: w1}}
            exp_annotations:
              summary: "w1: the witness refused the audit journal (rewritten, truncated or forked)"
      - eval_time: 20m
        alertname: VigieWitnessFailing
        exp_alerts: []
      - eval_time: 40m
        alertname: VigieWitnessFailing
        exp_alerts:
          - exp_labels: {{severity: warning, instance: w2}}
            exp_annotations:
              summary: "w2: the witness cannot pull the audit journal"
      - eval_time: 30m
        alertname: VigieWitnessNotRunning
        exp_alerts: []
      - eval_time: 45m
        alertname: VigieWitnessNotRunning
        exp_alerts:
          - exp_labels: {{severity: warning, instance: w3}}
            exp_annotations:
              summary: "w3: the witness has not run for 30 minutes"
"""


def test_alerts_fire_on_a_refusal_a_failing_and_a_stopped_witness(tmp_path):
    check_and_test_rules(RULES, CASES, tmp_path)
