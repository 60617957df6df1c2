#!/usr/bin/env bash
# Every test: the Swift suites (unit, contract, in-process API, real processes; the postgres connector's
# against a throwaway PostgreSQL, the s3 connector's against moto, the plugins' with real PyPI plugins), a short run of each
# libFuzzer harness, then schemathesis fuzzing `onramp serve` against its own OpenAPI document (no 5xx,
# responses match the document), then the web UI's browser tests (Playwright driving chromium, scripts/browser-test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

swift build                      # the process tests start the onramp binary
source scripts/postgres-test.sh  # a throwaway PostgreSQL for the postgres connector tests (ONRAMP_TEST_POSTGRES)
source scripts/moto-test.sh      # moto's S3 server for the s3 connector tests (ONRAMP_TEST_S3)
source scripts/plugins-test.sh   # a Singer tap and an Airbyte source from PyPI for the plugin tests (ONRAMP_TEST_PLUGINS)
trap 'postgres_test_stop; moto_test_stop' EXIT
swift test
scripts/fuzz.sh all "${FUZZ_SECONDS:-20}"   # libFuzzer: JSONata, CSV tokenizer, JSON parser (no crash, hang or blow-up)
(cd examples/plugins/orders_file && python3 -m unittest -q test_orders_file)   # the example plugin's own tests

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
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$DATA"; postgres_test_stop; moto_test_stop' EXIT
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

kill $SERVER 2>/dev/null || true
scripts/browser-test.sh          # the web UI by clicking: Playwright (PyPI) and Debian's chromium
