#!/usr/bin/env python3
"""Names each failed test of JUnit XML reports, one line with its message.

A CI log shows only its end; `make` calls this last so that what failed, and
why, is what the log ends with. Usage: test-failures.py REPORT.xml…
(reports that do not exist are passed over: a scenario that never reached
its tests has its own error above)."""

import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def failures(report: Path):
    for case in ET.parse(report).iter("testcase"):
        for problem in (*case.iter("failure"), *case.iter("error")):
            message = (problem.get("message") or problem.text or "").strip().splitlines()
            yield f"{case.get('classname')}::{case.get('name')}", message[0] if message else ""


def main(paths: list[str]) -> int:
    found = 0
    for path in map(Path, paths):
        if not path.is_file():
            continue
        for test, message in failures(path):
            found += 1
            print(f"FAILED {path.stem}: {test} — {message[:240]}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
