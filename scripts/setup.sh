#!/usr/bin/env bash
# Create the project's virtualenv and install exactly requirements/dev.lock
# (every version and sha256 fixed by `make lock`; pip never resolves), then vigie
# and the detector package themselves, editable, with no dependency of their own.
# Idempotent: the Makefile re-runs it only when one of its inputs changed; a venv
# made from another lock is made again from scratch, so it never keeps a package
# the lock no longer has.
set -euo pipefail
PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
LOCK=requirements/dev.lock
pip=("$VENV/bin/python" -m pip --disable-pip-version-check)
want=$(sha256sum "$LOCK" | cut -d' ' -f1)

if [ -x "$VENV/bin/python" ] && [ "$(cat "$VENV/.vigie-lock" 2>/dev/null)" != "$want" ]; then
  echo "vigie: $LOCK changed, making $VENV again" >&2
  rm -rf "$VENV"
fi
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
  # pip itself first, from the lock: it installs the rest.
  "${pip[@]}" install --quiet --require-hashes --no-deps \
    -r <(awk '/^pip==/{p=1; print; next} p&&/^[a-z]/{exit} p' "$LOCK")
  "${pip[@]}" install --quiet --require-hashes --no-deps -r "$LOCK" 2> >(grep -v "is ignored" >&2)
fi
# The lock holds setuptools: build without isolation so nothing unpinned is fetched.
"${pip[@]}" install --quiet --no-deps --no-build-isolation -e . -e ./detector_image
# Every installed requirement satisfied by what is installed (a lock missing a
# dependency fails here, not at run time).
"${pip[@]}" check >/dev/null
echo "$want" > "$VENV/.vigie-lock"
