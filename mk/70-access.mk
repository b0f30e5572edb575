# Access on event and the audit journal: policy, tokens, journal.
#   make test-access     decisions (engine and model), differential, tokens, journal tampering,
#                        CLI (about 40 s, no container)
#   make bench-access    token checks/s, decisions/s, journal appends/s, verify of 1,000,000
#                        entries, and the differential on the whole generated département
.PHONY: test-access bench-access access-matrix
TEST_TARGETS  += test-access
BENCH_TARGETS += bench-access

test-access: setup ## access policy, tokens and audit journal tests
	$(BIN)/pytest -q -p no:cacheprovider tests/access tests/audit

bench-access: setup ## speed of the per-segment check, decisions, journal; full differential
	$(BIN)/python benchmarks/access/bench.py

access-matrix: setup ## camera x agency x event class of the pilot (Markdown)
	$(BIN)/vigie access matrix inventories/pilot
