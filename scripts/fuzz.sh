#!/usr/bin/env bash
# Fuzzes the API with schemathesis (from PyPI), once per role, against the real server on a private PostgreSQL
# holding the demo sample business; then checks that every secured operation answers 401 to a missing, malformed
# or unknown token. Prints a summary per role and exits non-zero on any server error, schema violation or
# credential check that fails.
#
#   scripts/fuzz.sh [--max-examples N] [--roles "admin dispatcher …"] [--phases examples,coverage,fuzzing,stateful]
#
# schemathesis is installed into .build-fuzz/venv on first use (needs python3 with venv, and PyPI). The truckroll
# binary is TRUCKROLL_BINARY, else .build/debug/truckroll (built when missing). Reports go to .build-fuzz/reports.
set -euo pipefail
cd "$(dirname "$0")/.."

max_examples=20
# admin last: its run deletes and changes records the other roles' runs read.
roles="support_agent dispatcher technician vendor_coordinator manager admin"
phases="examples,coverage,fuzzing,stateful"
while [ $# -gt 0 ]; do
  case "$1" in
    --max-examples) max_examples=$2; shift 2 ;;
    --roles) roles=$2; shift 2 ;;
    --phases) phases=$2; shift 2 ;;
    --inner) shift; inner=1 ;;
    *) echo "usage: scripts/fuzz.sh [--max-examples N] [--roles \"admin …\"] [--phases LIST]" >&2; exit 2 ;;
  esac
done

venv=.build-fuzz/venv
binary=${TRUCKROLL_BINARY:-.build/debug/truckroll}

if [ -z "${inner:-}" ]; then
  if [ ! -x "$venv/bin/schemathesis" ]; then
    echo "installing schemathesis into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet schemathesis
  fi
  [ -x "$binary" ] || swift build --product truckroll
  # A private PostgreSQL unless TRUCKROLL_TEST_DATABASE_URL names one; then this script again, inside it.
  unset TRUCKROLL_TEST_DATABASE_URL
  exec scripts/with-test-postgres.sh "$0" --inner --max-examples "$max_examples" --roles "$roles" --phases "$phases"
fi

reports=.build-fuzz/reports
rm -rf "$reports"; mkdir -p "$reports"
database_url="${TRUCKROLL_TEST_DATABASE_URL%/*}/truckroll_fuzz"
psql -q -v ON_ERROR_STOP=1 "$TRUCKROLL_TEST_DATABASE_URL" \
  -c "DROP DATABASE IF EXISTS truckroll_fuzz WITH (FORCE)" -c "CREATE DATABASE truckroll_fuzz"
# The per-token rate limit is off: schemathesis sends far faster than a person, and a 429 in place of the answer
# under test hides it (ReliabilityTests checks the limit).
export TRUCKROLL_DATABASE_URL="$database_url" TRUCKROLL_LOG_LEVEL=error TRUCKROLL_PLANNING_WORKERS=0 TRUCKROLL_RATE_LIMIT_PER_SECOND=0
"$binary" migrate >/dev/null
"$binary" sample load --size demo >/dev/null

declare -A user=([admin]=demo [support_agent]=helpdesk [dispatcher]=dispatcher [technician]=t0001
                 [vendor_coordinator]=vendor [manager]=manager)
declare -A token
for role in $roles; do
  token[$role]=$("$binary" admin token create --user "${user[$role]}" --name fuzz 2>/dev/null | tail -1)
done

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$binary" serve --port "$port" >"$reports/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/health" >/dev/null && break
  sleep 0.2
done
base="http://127.0.0.1:$port"

checks=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance
checks+=,response_schema_conformance,missing_required_header,ignored_auth,use_after_free,ensure_resource_availability
# Revoking a token (DELETE /v1/tokens/{id}) or changing a user (PATCH /v1/users/{id}, e.g. disabled: true) would end
# the fuzzer's own credentials half-way; the Swift suite covers both (RegistryAPITests, PermissionMatrixTests).
own_credentials='^(DELETE /v1/tokens/\{id\}|PATCH /v1/users/\{id\})$'
status=0
for role in $roles; do
  echo "== $role (${user[$role]}): schemathesis, phases $phases, up to $max_examples examples per operation"
  "$venv/bin/schemathesis" --config-file scripts/schemathesis.toml run "$base/openapi.json" --header "Authorization: Bearer ${token[$role]}" \
    --phases "$phases" --checks "$checks" --max-examples "$max_examples" --workers 2 --seed 1 --no-color --generation-database none \
    --exclude-path /v1/login --exclude-name-regex "$own_credentials" --request-timeout 30 --suppress-health-check all \
    --report json --report-json-path "$reports/$role.json" >"$reports/$role.log" 2>&1 || true
  python3 scripts/fuzz_summary.py "$role" "$reports/$role.json" "$reports/$role.log" || status=1
done

echo "== credentials: every secured operation without a token, with a malformed header and with an unknown token"
python3 scripts/fuzz_credentials.py "$base" || status=1
grep -c '"status":5' "$reports/server.log" >/dev/null 2>&1 || true
exit $status
