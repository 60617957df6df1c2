#!/usr/bin/env bash
# Browser tests of the web UI: Playwright (PyPI) driving Debian's chromium against a real `onramp serve` with the
# TAXMAN sandbox beside it, on a temporary data directory. Screenshots go to Tests/browser/artifacts/.
# Needs .build/debug/onramp (swift build) and /usr/bin/chromium (apt-get install chromium).
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${ONRAMP_BIN:-.build/debug/onramp}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$BIN" ] || { echo "browser tests: $BIN is missing (swift build first)" >&2; exit 1; }
[ -x "$CHROMIUM" ] || { echo "browser tests: $CHROMIUM is missing (apt-get install chromium)" >&2; exit 1; }
VENV=${ONRAMP_BROWSER_VENV:-.venv-browser}
if ! "$VENV/bin/python" -c 'import playwright, pytest' >/dev/null 2>&1; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q playwright pytest
fi

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
DATA=$(mktemp -d /tmp/onramp-browser.XXXXXX)
PORT=$(free_port)
SANDBOX_PORT=$(free_port)
ADMIN_KEY="browser-admin-$(python3 -c 'import secrets;print(secrets.token_hex(16))')"
"$BIN" taxman-sandbox --port "$SANDBOX_PORT" --api-key browser-taxman-key > "$DATA/sandbox.log" 2>&1 &
SANDBOX=$!
# The platform admin's person (the designer's tests sign in as the engineer with it).
ADMIN_EMAIL=admin@onramp.test
ADMIN_PASSWORD="admin-$(python3 -c 'import secrets;print(secrets.token_hex(12))')"
ONRAMP_ADMIN_KEY="$ADMIN_KEY" ONRAMP_ADMIN_EMAIL="$ADMIN_EMAIL" ONRAMP_ADMIN_PASSWORD="$ADMIN_PASSWORD" "$BIN" serve --data "$DATA" --port "$PORT" --egress-allow 127.0.0.1 \
  > "$DATA/serve.log" 2>&1 &
SERVER=$!
cleanup() { kill "$SERVER" "$SANDBOX" 2>/dev/null || true; wait "$SERVER" "$SANDBOX" 2>/dev/null || true; rm -rf "$DATA"; }
trap cleanup EXIT
for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null || { echo "onramp serve did not start:"; tail -n 30 "$DATA/serve.log"; exit 1; }

export ONRAMP_URL="http://127.0.0.1:$PORT" ONRAMP_ADMIN_KEY="$ADMIN_KEY" ONRAMP_SANDBOX="http://127.0.0.1:$SANDBOX_PORT"
export ONRAMP_SANDBOX_KEY=browser-taxman-key CHROMIUM ONRAMP_ADMIN_EMAIL="$ADMIN_EMAIL" ONRAMP_ADMIN_PASSWORD="$ADMIN_PASSWORD"
mkdir -p Tests/browser/artifacts
set +e
"$VENV/bin/python" -m pytest -q -p no:cacheprovider -s Tests/browser "$@"
STATUS=$?
set -e
if [ $STATUS -ne 0 ]; then echo "browser tests failed; the server log:"; tail -n 40 "$DATA/serve.log"; fi
exit $STATUS
