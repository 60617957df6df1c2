#!/usr/bin/env bash
# A throwaway PostgreSQL for the tests: `source scripts/postgres-test.sh` starts one on a free loopback
# port (trust auth, plus the password user initech for the wrong-password tests), exports
# ONRAMP_TEST_POSTGRES=postgres://postgres@127.0.0.1:PORT/postgres and defines postgres_test_stop.
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
cat > "$PG_TEST_DATA/pg_hba.conf" <<HBA
local all all trust
host all initech 127.0.0.1/32 scram-sha-256
host all all 127.0.0.1/32 trust
HBA
pg_as "$PGBIN/pg_ctl" -D "$PG_TEST_DATA" -l "$PG_TEST_DATA/server.log" -w -t 30 \
  -o "-c listen_addresses=127.0.0.1 -p $PG_TEST_PORT -k $PG_TEST_DATA -c fsync=off -c max_connections=200" start >/dev/null
psql -q -h 127.0.0.1 -p "$PG_TEST_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 \
  -c "CREATE ROLE initech LOGIN PASSWORD 'initech-secret'; GRANT ALL ON SCHEMA public TO initech;" >/dev/null
export ONRAMP_TEST_POSTGRES="postgres://postgres@127.0.0.1:$PG_TEST_PORT/postgres"

# A second server that speaks only TLS, with a certificate for localhost/127.0.0.1 from a throwaway CA:
# ONRAMP_TEST_POSTGRES_TLS is its URL and ONRAMP_TEST_POSTGRES_CA the CA's PEM file (sslmode verify-full).
PG_TLS_PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
PG_TLS_DATA=$(mktemp -d /tmp/onramp-pgtls.XXXXXX)
PG_TLS_CA=$(mktemp -d /tmp/onramp-pgca.XXXXXX)
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$PG_TLS_CA/ca.key" -out "$PG_TLS_CA/ca.pem" -days 2 \
  -subj "/CN=onramp-test-ca" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout "$PG_TLS_DATA/server.key" -out "$PG_TLS_CA/server.csr" \
  -subj "/CN=localhost" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > "$PG_TLS_CA/san.ext"
openssl x509 -req -in "$PG_TLS_CA/server.csr" -CA "$PG_TLS_CA/ca.pem" -CAkey "$PG_TLS_CA/ca.key" -CAcreateserial \
  -out "$PG_TLS_DATA/server.crt" -days 2 -extfile "$PG_TLS_CA/san.ext" 2>/dev/null
[ "$(id -u)" = "0" ] && chown -R postgres:postgres "$PG_TLS_DATA"
chmod 600 "$PG_TLS_DATA/server.key"
mv "$PG_TLS_DATA/server.key" "$PG_TLS_DATA/server.crt" "$PG_TLS_CA/"
pg_as "$PGBIN/initdb" -D "$PG_TLS_DATA" -U postgres -E UTF8 --no-locale --auth=trust >/dev/null
cp "$PG_TLS_CA/server.key" "$PG_TLS_CA/server.crt" "$PG_TLS_DATA/"
[ "$(id -u)" = "0" ] && chown postgres:postgres "$PG_TLS_DATA/server.key" "$PG_TLS_DATA/server.crt"
chmod 600 "$PG_TLS_DATA/server.key"
printf 'local all all trust\nhostssl all all 127.0.0.1/32 trust\n' > "$PG_TLS_DATA/pg_hba.conf"
pg_as "$PGBIN/pg_ctl" -D "$PG_TLS_DATA" -l "$PG_TLS_DATA/server.log" -w -t 30 \
  -o "-c listen_addresses=127.0.0.1 -p $PG_TLS_PORT -k $PG_TLS_DATA -c fsync=off -c ssl=on" start >/dev/null
export ONRAMP_TEST_POSTGRES_TLS="postgres://postgres@127.0.0.1:$PG_TLS_PORT/postgres"
export ONRAMP_TEST_POSTGRES_CA="$PG_TLS_CA/ca.pem"

postgres_test_stop() {
  pg_as "$PGBIN/pg_ctl" -D "$PG_TEST_DATA" -m fast -w stop >/dev/null 2>&1 || true
  pg_as "$PGBIN/pg_ctl" -D "$PG_TLS_DATA" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$PG_TEST_DATA" "$PG_TLS_DATA" "$PG_TLS_CA"
}
