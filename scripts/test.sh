#!/usr/bin/env bash
# Every test: the Swift suites (unit, contract, in-process API, real processes; the postgres connector's
# against a throwaway PostgreSQL), a short run of each
# libFuzzer harness, then schemathesis fuzzing `onramp serve` against its own OpenAPI document (no 5xx,
# responses match the document).
set -euo pipefail
cd "$(dirname "$0")/.."

# moto's S3 server for the S3 connector tests, on a free port, stopped at exit. Its first three requests go
# unauthenticated (the tests create an IAM user and key with them); every later one has its signature checked.
MOTO=$(command -v moto_server || true)
if [ -z "$MOTO" ]; then
  MOTO_VENV=${ONRAMP_MOTO_VENV:-.venv-moto}
  if [ ! -x "$MOTO_VENV/bin/moto_server" ]; then
    python3 -m venv "$MOTO_VENV"
    "$MOTO_VENV/bin/pip" install -q 'moto[server]'
  fi
  MOTO="$MOTO_VENV/bin/moto_server"
fi
MOTO_PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
MOTO_LOG=$(mktemp /tmp/onramp-moto.XXXXXX)
INITIAL_NO_AUTH_ACTION_COUNT=3 "$MOTO" -H 127.0.0.1 -p "$MOTO_PORT" > "$MOTO_LOG" 2>&1 &
MOTO_PID=$!
trap 'kill $MOTO_PID 2>/dev/null || true; rm -f "$MOTO_LOG"' EXIT
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$MOTO_PORT/moto-api/" && break; sleep 0.1; done
export ONRAMP_TEST_S3="http://127.0.0.1:$MOTO_PORT"

swift build                      # the process tests start the onramp binary
source scripts/postgres-test.sh  # a throwaway PostgreSQL for the postgres connector tests (ONRAMP_TEST_POSTGRES)
trap 'kill $MOTO_PID 2>/dev/null || true; rm -f "$MOTO_LOG"; postgres_test_stop' EXIT
swift test
scripts/fuzz.sh all "${FUZZ_SECONDS:-20}"   # libFuzzer: JSONata, CSV tokenizer, JSON parser (no crash, hang or blow-up)

VENV=${ONRAMP_TEST_VENV:-.venv-test}
if [ ! -x "$VENV/bin/schemathesis" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q schemathesis
fi
DATA=$(mktemp -d /tmp/onramp-schemathesis.XXXXXX)
ADMIN_KEY="schemathesis-admin-$(python3 -c 'import secrets;print(secrets.token_hex(16))')"   # serve wants 32+ characters
PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
ONRAMP_ADMIN_KEY="$ADMIN_KEY" .build/debug/onramp serve --data "$DATA" --port "$PORT" > "$DATA/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER $MOTO_PID 2>/dev/null || true; rm -rf "$DATA" "$MOTO_LOG"; postgres_test_stop' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
curl -sf -X POST -H "Authorization: Bearer $ADMIN_KEY" "http://127.0.0.1:$PORT/api/v1/tenants" -d '{"id":"acme"}' >/dev/null
OUT="$DATA/schemathesis.txt"
set +e
"$VENV/bin/schemathesis" run "http://127.0.0.1:$PORT/api/v1/openapi.json" \
  -H "Authorization: Bearer $ADMIN_KEY" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --phases examples,fuzzing,stateful --max-time "${SCHEMATHESIS_SECONDS:-30}" -w 2 --seed 1 > "$OUT" 2>&1
STATUS=$?
set -e
tail -n 15 "$OUT"
if [ $STATUS -ne 0 ]; then
  echo "schemathesis failed; the server log:"; tail -n 30 "$DATA/serve.log"
  exit $STATUS
fi
PASSED=$(grep -oE '[0-9]+ passed' "$OUT" | tail -1 | grep -oE '[0-9]+')
echo "schemathesis: ${PASSED:-0} passed, 0 failed"
