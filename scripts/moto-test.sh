#!/usr/bin/env bash
# moto's S3 server for the S3 connector tests: `source scripts/moto-test.sh` starts one on a free loopback
# port (moto_server from PATH, else a venv .venv-moto with `pip install 'moto[server]'`), exports
# ONRAMP_TEST_S3=http://127.0.0.1:PORT and defines moto_test_stop. Its first three requests go
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
# Its own process group: moto_server may be a shim (pyenv) whose python child outlives a plain kill.
INITIAL_NO_AUTH_ACTION_COUNT=3 setsid "$MOTO" -H 127.0.0.1 -p "$MOTO_PORT" > "$MOTO_LOG" 2>&1 &
MOTO_PID=$!
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$MOTO_PORT/moto-api/" && break; sleep 0.1; done
export ONRAMP_TEST_S3="http://127.0.0.1:$MOTO_PORT"
moto_test_stop() {
  kill -9 -- "-$MOTO_PID" 2>/dev/null || true
  rm -f "$MOTO_LOG"
}
