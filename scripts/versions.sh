#!/usr/bin/env bash
# What the suite runs with, as a Markdown table: the machine, the Debian packages
# of scripts/apt-packages.txt at their installed versions (Debian stable's, not
# pinned: a failure is traced to a package change by comparing two of these),
# the Docker engine, and the Python locks by sha256.
#   scripts/versions.sh            print it
#   scripts/versions.sh FILE       also write it to FILE (make versions: docs/versions.md)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
table() {
  # shellcheck source=/dev/null
  . /etc/os-release
  echo "# Versions the suite last ran with"
  echo
  echo "Made by \`make versions\` ($(date -u +%F), commit $(git rev-parse --short HEAD 2>/dev/null || echo none))."
  echo "CI prints the same table at the start of every run; compare the two when a"
  echo "run fails after a package changed."
  echo
  echo "| what | version |"
  echo "|---|---|"
  echo "| system | $PRETTY_NAME, $(uname -m) |"
  echo "| python3 (venv's base) | $(python3 -c 'import platform; print(platform.python_version())') |"
  echo "| Docker engine | $(docker version -f '{{.Server.Version}}' 2>/dev/null || echo 'not running') |"
  sed -e 's/#.*//' -e '/^[[:space:]]*$/d' scripts/apt-packages.txt | while read -r pkg; do
    echo "| $pkg (Debian) | $(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null || echo 'not installed') |"
  done
  for lock in requirements/dev.lock requirements/gateway.lock detector_image/requirements.lock; do
    echo "| $lock | $(grep -cE '^[a-z0-9]' "$lock") packages, sha256 $(sha256sum "$lock" | cut -c1-16) |"
  done
}
if [ $# -gt 0 ]; then table | tee "$1"; else table; fi
