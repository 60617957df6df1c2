#!/usr/bin/env bash
# moto's S3 server for the S3 connector tests: `source scripts/moto-test.sh` starts one on a free loopback
# port (moto_server from PATH, else a venv .venv-moto with `pip install 'moto[server]'`), exports
# ONRAMP_TEST_S3=http://127.0.0.1:PORT and defines moto_test_stop. Its first three requests go
# unauthenticated: they create an IAM user allowed everything and its key, exported as ONRAMP_TEST_S3_KEY_ID and
# ONRAMP_TEST_S3_SECRET; every later request has its signature checked.
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
moto_iam() {  # moto routes by the credential scope; the signature of these three is not checked
  curl -s -X POST "$ONRAMP_TEST_S3/" --data "$1&Version=2010-05-08" \
    -H 'Authorization: AWS4-HMAC-SHA256 Credential=setup/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0'
}
moto_iam "Action=CreateUser&UserName=onramp" > /dev/null
moto_iam "Action=PutUserPolicy&UserName=onramp&PolicyName=all&PolicyDocument=%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22%2A%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D" > /dev/null
MOTO_KEY=$(moto_iam "Action=CreateAccessKey&UserName=onramp")
export ONRAMP_TEST_S3_KEY_ID=$(echo "$MOTO_KEY" | sed -n 's:.*<AccessKeyId>\(.*\)</AccessKeyId>.*:\1:p')
export ONRAMP_TEST_S3_SECRET=$(echo "$MOTO_KEY" | sed -n 's:.*<SecretAccessKey>\(.*\)</SecretAccessKey>.*:\1:p')
[ -n "$ONRAMP_TEST_S3_KEY_ID" ] || echo "moto: no access key: $MOTO_KEY" >&2
moto_test_stop() {
  kill -9 -- "-$MOTO_PID" 2>/dev/null || true
  rm -f "$MOTO_LOG"
}
