#!/usr/bin/env bash
# Create the project's virtualenv and install vigie, the detector package and
# every tool the tests use. Idempotent: the Makefile re-runs it only when one of
# its inputs changed.
set -euo pipefail
PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}

if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet -e '.[ansible,pulumi,dev]'
if [ -f detector_image/pyproject.toml ]; then
  "$VENV/bin/python" -m pip install --quiet -e ./detector_image
fi
