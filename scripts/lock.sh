#!/usr/bin/env bash
# The Python locks, resolved by uv from pyproject.toml (exact versions, sha256 of
# every file on the index). Every pip install of the project reads one of them
# with --require-hashes; nothing resolves anew.
#   scripts/lock.sh            write the locks, keeping every pin the inputs allow
#   scripts/lock.sh --upgrade  write them with the newest versions the inputs allow
#   scripts/lock.sh --check    exit 1, naming the lock and the difference, when a lock
#                              no longer matches its inputs (make lint)
set -euo pipefail
cd "$(dirname "$0")/.."
uv=${UV:-.venv/bin/uv}
mode=${1:-write}

# The platform every environment runs on: CPython 3.11 on x86-64 glibc (Debian
# bookworm's, on the hosts and in the detector image; the same on CI).
target=(--python-version 3.11 --python-platform x86_64-manylinux_2_28)
common=(--quiet --generate-hashes --no-strip-extras "${target[@]}")
[ "$mode" = --upgrade ] && common+=(--upgrade)

# name | inputs and options
locks=(
  "requirements/dev.lock|pyproject.toml detector_image/pyproject.toml requirements/tools.in --all-extras"
  "requirements/gateway.lock|pyproject.toml --extra gateway -c requirements/dev.lock"
  "detector_image/requirements.lock|detector_image/requirements.in -c requirements/dev.lock"
)

pins() { grep -E '^[A-Za-z0-9._-]+(\[[^]]*\])?==' "$1" | sed 's/ .*//' | sort; }

if [ "$mode" != --check ]; then
  for entry in "${locks[@]}"; do
    out=${entry%%|*}; read -r -a args <<< "${entry#*|}"
    "$uv" pip compile "${common[@]}" "${args[@]}" -o "$out"
    echo "$out: $(pins "$out" | wc -l) packages"
  done
  exit 0
fi

# Check: resolve again into a scratch copy of the tree's locks (uv keeps every pin
# the inputs still allow), then compare the pins. Any difference means an input
# changed without `make lock`.
scratch=$(mktemp -d); trap 'rm -rf "$scratch"' EXIT
status=0
for entry in "${locks[@]}"; do
  out=${entry%%|*}; read -r -a args <<< "${entry#*|}"
  mkdir -p "$scratch/$(dirname "$out")"; cp "$out" "$scratch/$out"
  for i in "${!args[@]}"; do
    [ "${args[$i]}" = -c ] && args[i+1]="$scratch/${args[i+1]}"
  done
  "$uv" pip compile "${common[@]}" "${args[@]}" -o "$scratch/$out"
  if ! diff -u <(pins "$out") <(pins "$scratch/$out") > "$scratch/diff"; then
    echo "$out does not match its inputs (${entry#*|}):" >&2
    grep -E '^[-+][^-+]' "$scratch/diff" | sed 's/^-/  locked:   /; s/^+/  required: /' >&2
    status=1
  fi
done
if [ "$status" != 0 ]; then
  echo "A dependency changed in pyproject.toml or a requirements file without its lock:" \
       "run \`make lock\` and commit the locks with the change (README, Dependencies)." >&2
fi
exit "$status"
