#!/usr/bin/env bash
# A throwaway PostgreSQL for the tests: `source scripts/postgres-test.sh` starts one on a free loopback
# port (trust auth, plus the password user initech for the wrong-password tests; TLS with a self-signed
# certificate), exports ONRAMP_TEST_POSTGRES=postgres://postgres@127.0.0.1:PORT/postgres and
# ONRAMP_TEST_POSTGRES_CA (that certificate), and defines postgres_test_stop.
# Runs as root (through runuser -u postgres, as CI does) or as any user that owns the data directory.
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
if [ ! -x "$PGBIN/initdb" ]; then
  echo "PostgreSQL server binaries not found (apt-get install -y postgresql)" >&2
  return 1 2>/dev/null || exit 1
fi
PG_TEST_PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
PG_TEST_DATA=$(mktemp -d /tmp/onramp-pgdata.XXXXXX)
pg_as() { if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = "0" ] && chown postgres:postgres "$PG_TEST_DATA"
pg_as "$PGBIN/initdb" -D "$PG_TEST_DATA" -U postgres -E UTF8 --no-locale --auth=trust >/dev/null
# TLS with a throwaway certificate for localhost/127.0.0.1 (the sslmode tests; the CA is the certificate itself).
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$PG_TEST_DATA/server.key" -out "$PG_TEST_DATA/server.crt" \
  -days 2 -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" >/dev/null 2>&1
chmod 600 "$PG_TEST_DATA/server.key"
[ "$(id -u)" = "0" ] && chown postgres:postgres "$PG_TEST_DATA/server.key" "$PG_TEST_DATA/server.crt"
cat > "$PG_TEST_DATA/pg_hba.conf" <<HBA
local all all trust
host all initech 127.0.0.1/32 scram-sha-256
host all all 127.0.0.1/32 trust
HBA
pg_as "$PGBIN/pg_ctl" -D "$PG_TEST_DATA" -l "$PG_TEST_DATA/server.log" -w -t 30 \
  -o "-c listen_addresses=127.0.0.1 -p $PG_TEST_PORT -k $PG_TEST_DATA -c fsync=${PG_TEST_FSYNC:-off} -c max_connections=200 -c ssl=on" start >/dev/null
psql -q -h 127.0.0.1 -p "$PG_TEST_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 \
  -c "CREATE ROLE initech LOGIN PASSWORD 'initech-secret'; GRANT ALL ON SCHEMA public TO initech;" >/dev/null
export ONRAMP_TEST_POSTGRES="postgres://postgres@127.0.0.1:$PG_TEST_PORT/postgres"
export ONRAMP_TEST_POSTGRES_CA="$PG_TEST_DATA/server.crt"
postgres_test_stop() {
  pg_as "$PGBIN/pg_ctl" -D "$PG_TEST_DATA" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$PG_TEST_DATA"
}
