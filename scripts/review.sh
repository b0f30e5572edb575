#!/usr/bin/env bash
# The review of a pull/merge request: one script, called by GitHub Actions
# (.github/workflows/review.yml) and GitLab CI (.gitlab-ci.yml), and by hand.
#
#   scripts/review.sh [BASE]      BASE: the target branch (default: the forge's, else origin/main)
#
# 1. vigie review: validation + the opt-in rules against BASE, as annotations
#    (GitHub workflow commands, GitLab Code Quality report) placed on their lines;
# 2. vigie plan: Markdown + fibre picture in $OUT, posted on the request when a
#    token is given (GITHUB_TOKEN / VIGIE_GITLAB_TOKEN), else kept as artefacts;
# 3. the make targets the changed files concern (VIGIE_REVIEW_MAKE=0: list them only).
# Every step runs even when an earlier one fails (the plan is posted for a refused
# change too); the exit status is 1 if any step failed.
set -uo pipefail

INV=${VIGIE_INVENTORY:-inventories/production}
OUT=${VIGIE_REVIEW_OUT:-review-out}
VIGIE=${VIGIE:-vigie}
PY=${VIGIE_PYTHON:-python3}

if [[ "${GITHUB_ACTIONS:-}" == true ]]; then
  forge=github; default_base=origin/${GITHUB_BASE_REF:-main}; branch=${GITHUB_HEAD_REF:-}
elif [[ "${GITLAB_CI:-}" == true ]]; then
  forge=gitlab; default_base=origin/${CI_MERGE_REQUEST_TARGET_BRANCH_NAME:-main}
  branch=${CI_MERGE_REQUEST_SOURCE_BRANCH_NAME:-}
else
  forge=text; default_base=origin/main; branch=$(git rev-parse --abbrev-ref HEAD)
fi
BASE=${1:-${VIGIE_REVIEW_BASE:-$default_base}}
# A commune's branch is optin/<insee>-<slug>: its pull request may edit only its own file.
COMMUNE=${VIGIE_COMMUNE:-}
if [[ -z "$COMMUNE" && "$branch" =~ ^optin/([0-9][0-9AB][0-9]{3}) ]]; then
  COMMUNE=${BASH_REMATCH[1]}
fi
mkdir -p "$OUT"
status=0
echo "review: forge=$forge base=$BASE branch=$branch commune=${COMMUNE:-none} inventory=$INV"

# 1. validate + opt-in rules, as annotations
commune_args=()
[[ -n "$COMMUNE" ]] && commune_args=(--commune "$COMMUNE")
case $forge in
  github) "$VIGIE" review "$INV" --base "$BASE" "${commune_args[@]}" --format github \
            | tee "$OUT/annotations.txt" || status=1 ;;
  gitlab) "$VIGIE" review "$INV" --base "$BASE" "${commune_args[@]}" --format gitlab \
            > "$OUT/gl-code-quality-report.json" || status=1
          "$VIGIE" review "$INV" --base "$BASE" "${commune_args[@]}" --format text || true ;;
  *)      "$VIGIE" review "$INV" --base "$BASE" "${commune_args[@]}" --format text || status=1 ;;
esac

# 2. the plan, and its picture next to it
"$VIGIE" plan "$INV" --base "$BASE" --picture "$OUT/fibre.svg" > "$OUT/plan.md" || status=1
echo "review: plan in $OUT/plan.md, picture in $OUT/fibre.svg"
# In a comment, a relative link leads nowhere: point it at the kept artefact.
if [[ $forge == gitlab && -n "${CI_JOB_URL:-}" ]]; then
  picture_url="$CI_JOB_URL/artifacts/file/$OUT/fibre.svg"
elif [[ $forge == github && -n "${GITHUB_RUN_ID:-}" ]]; then
  picture_url="${GITHUB_SERVER_URL:-https://github.com}/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID#artifacts"
fi
if [[ -n "${picture_url:-}" ]]; then
  sed -i "s|](fibre.svg)|]($picture_url)|" "$OUT/plan.md"
fi

post() {  # post() URL AUTH-HEADER JSON-KEY: the plan as a comment, through the forge's API
  "$PY" -c 'import json,sys; print(json.dumps({sys.argv[1]: open(sys.argv[2]).read()}))' \
    "$3" "$OUT/plan.md" > "$OUT/comment.json"
  curl --fail --silent --show-error -X POST -H "$2" -H "Content-Type: application/json" \
    --data @"$OUT/comment.json" "$1" > /dev/null && echo "review: plan posted to $1"
}
if [[ $forge == github ]]; then
  [[ -n "${GITHUB_STEP_SUMMARY:-}" ]] && cat "$OUT/plan.md" >> "$GITHUB_STEP_SUMMARY"
  pr=$("$PY" -c 'import json,os; print(json.load(open(os.environ["GITHUB_EVENT_PATH"])).get("pull_request",{}).get("number",""))' 2>/dev/null || true)
  if [[ -n "${GITHUB_TOKEN:-}" && -n "$pr" ]]; then
    post "${GITHUB_API_URL:-https://api.github.com}/repos/$GITHUB_REPOSITORY/issues/$pr/comments" \
      "Authorization: Bearer $GITHUB_TOKEN" body || status=1
  fi
elif [[ $forge == gitlab && -n "${VIGIE_GITLAB_TOKEN:-}" && -n "${CI_MERGE_REQUEST_IID:-}" ]]; then
  post "$CI_API_V4_URL/projects/$CI_PROJECT_ID/merge_requests/$CI_MERGE_REQUEST_IID/notes" \
    "PRIVATE-TOKEN: $VIGIE_GITLAB_TOKEN" body || status=1
fi

# 3. the parts of `make test` the change concerns
merge_base=$(git merge-base "$BASE" HEAD)
targets=()
add() { [[ " ${targets[*]} " == *" $1 "* ]] || targets+=("$1"); }
while read -r path; do
  case $path in
    inventories/*|plugins/*|tests/inventory/*) add test-inventory ;;&
    src/vigie/*) add test-inventory; add test-optin ;;&
    tests/optin/*|scripts/review.sh|.gitlab-ci.yml|.github/*|docs/opt-in.md) add test-optin ;;&
    roles/*|molecule/*) add test-roles ;;&
    detector_image/*) add test-detector ;;&
    *) ;;
  esac
done < <(git diff --name-only "$merge_base")
echo "review: make targets: ${targets[*]:-none}"
if [[ ${#targets[@]} -gt 0 && "${VIGIE_REVIEW_MAKE:-1}" != 0 ]]; then
  make lint-python lint-yaml "${targets[@]}" || status=1
fi
echo "review: $([[ $status == 0 ]] && echo passed || echo FAILED)"
exit $status
