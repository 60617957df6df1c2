#!/usr/bin/env bash
# The plugin peers, measured in one run: a Singer tap from PyPI piped into target-jsonl (and the tap alone into a
# file), and the Airbyte faker source's own `read` into a file, each with N records. Onramp's plugin benchmark reads
# the same input through Onramp: it reuses the venvs and the VENV_DIR/bench-*.json files written here.
# Usage: Benchmarks/plugins_peer.sh VENV_DIR [N]   (N defaults to 100000; needs the PostgreSQL server binaries)
# Uses the PostgreSQL of ONRAMP_TEST_POSTGRES when the caller sourced scripts/postgres-test.sh (and leaves it
# running, so the bench-*.json files stay valid); otherwise starts a throwaway one and stops it at the end.
# Prints one line per peer: `peer NAME records=N seconds=S rate=R` (seconds include the plugins' start-up).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV_DIR=${1:?usage: Benchmarks/plugins_peer.sh VENV_DIR [N]}
N=${2:-100000}
PY=/usr/bin/python3   # not pyenv's: its interpreter under /root cannot be run by an unprivileged plugin user
mkdir -p "$VENV_DIR"
VENV_DIR=$(cd "$VENV_DIR" && pwd)

venv() {  # venv NAME COMMAND PACKAGE: VENV_DIR/NAME with PACKAGE installed, kept between runs
  if [ ! -x "$VENV_DIR/$1/bin/$2" ]; then
    rm -rf "${VENV_DIR:?}/$1"
    "$PY" -m venv "$VENV_DIR/$1"
    "$VENV_DIR/$1/bin/pip" install -q --disable-pip-version-check "$3"
  fi
}
venv tap-postgres tap-postgres meltanolabs-tap-postgres==0.10.0
venv pipelinewise tap-postgres pipelinewise-tap-postgres==1.8.4
venv target-jsonl target-jsonl target-jsonl==0.1.4
venv faker source-faker airbyte-source-faker==7.2.1

OWN_PG=0
if [ -z "${ONRAMP_TEST_POSTGRES:-}" ]; then
  source scripts/postgres-test.sh
  OWN_PG=1
  trap 'postgres_test_stop' EXIT
fi
PG_HOST=$("$PY" -c 'import sys,urllib.parse as u;print(u.urlsplit(sys.argv[1]).hostname)' "$ONRAMP_TEST_POSTGRES")
PG_PORT=$("$PY" -c 'import sys,urllib.parse as u;print(u.urlsplit(sys.argv[1]).port)' "$ONRAMP_TEST_POSTGRES")
PSQL=(psql -q -X -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1)
cat > "$VENV_DIR/bench-postgres.sql" <<SQL
DROP TABLE IF EXISTS bench_plugin_orders;
CREATE TABLE bench_plugin_orders (id int PRIMARY KEY, customer text NOT NULL, region text NOT NULL,
  amount numeric(12,2) NOT NULL, quantity int NOT NULL, updated_at timestamptz NOT NULL);
INSERT INTO bench_plugin_orders SELECT i, 'C' || (i % 5000), (ARRAY['CA','NY','TX','WA'])[i % 4 + 1],
  ((i * 13) % 50000) / 100.0, 1 + i % 9, '2026-01-01T00:00:00Z'::timestamptz + i * interval '1 second'
  FROM generate_series(1, $N) i;
VACUUM ANALYZE bench_plugin_orders;
SQL
"${PSQL[@]}" -f "$VENV_DIR/bench-postgres.sql"

# Configs and catalogs: the table selected whole, INCREMENTAL by updated_at (a first run reads every row).
cat > "$VENV_DIR/bench-singer-config.json" <<JSON
{"host": "$PG_HOST", "port": $PG_PORT, "user": "postgres", "password": "", "database": "postgres",
 "filter_schemas": ["public"]}
JSON
cat > "$VENV_DIR/bench-pipelinewise-config.json" <<JSON
{"host": "$PG_HOST", "port": $PG_PORT, "user": "postgres", "password": "", "dbname": "postgres",
 "filter_schemas": "public"}
JSON
select_stream() {  # select_stream DISCOVERED OUT: keeps public-bench_plugin_orders, selected, incremental
  "$PY" - "$1" "$2" <<'PYEOF'
import json, sys
catalog = json.load(open(sys.argv[1]))
catalog["streams"] = [s for s in catalog["streams"] if s["tap_stream_id"] == "public-bench_plugin_orders"]
for stream in catalog["streams"]:
    stream["replication_method"], stream["replication_key"] = "INCREMENTAL", "updated_at"
    for entry in stream["metadata"]:
        if entry["breadcrumb"] == []:
            entry["metadata"].update({"selected": True, "replication-method": "INCREMENTAL",
                                      "replication-key": "updated_at"})
json.dump(catalog, open(sys.argv[2], "w"))
PYEOF
}
WORK=$(mktemp -d /tmp/onramp-plugins-peer.XXXXXX)
trap 'rm -rf "$WORK"; [ "$OWN_PG" = 1 ] && postgres_test_stop; true' EXIT
"$VENV_DIR/tap-postgres/bin/tap-postgres" --config "$VENV_DIR/bench-singer-config.json" --discover \
  > "$WORK/discovered.json" 2> "$WORK/discover.log"
select_stream "$WORK/discovered.json" "$VENV_DIR/bench-singer-catalog.json"
"$VENV_DIR/pipelinewise/bin/tap-postgres" --config "$VENV_DIR/bench-pipelinewise-config.json" --discover \
  > "$WORK/discovered-pw.json" 2> "$WORK/discover-pw.log"
select_stream "$WORK/discovered-pw.json" "$VENV_DIR/bench-pipelinewise-catalog.json"
echo "{\"destination_path\": \"$VENV_DIR/target-out\", \"do_timestamp_file\": false}" \
  > "$VENV_DIR/bench-target-jsonl-config.json"
echo "{\"count\": $N, \"seed\": 1, \"records_per_slice\": 1000, \"always_updated\": false, \"parallelism\": 1}" \
  > "$VENV_DIR/bench-faker-config.json"
"$VENV_DIR/faker/bin/source-faker" discover --config "$VENV_DIR/bench-faker-config.json" \
  > "$WORK/faker-catalog.jsonl"
"$PY" - "$WORK/faker-catalog.jsonl" "$VENV_DIR/bench-faker-catalog.json" <<'PYEOF'
import json, sys
message = next(json.loads(line) for line in open(sys.argv[1]) if json.loads(line)["type"] == "CATALOG")
users = next(s for s in message["catalog"]["streams"] if s["name"] == "users")
json.dump({"streams": [{"stream": users, "sync_mode": "incremental", "destination_sync_mode": "append",
                        "cursor_field": ["updated_at"], "primary_key": [["id"]]}]}, open(sys.argv[2], "w"))
PYEOF
for f in "$VENV_DIR"/bench-*.json; do  # configs in full; catalogs (long) without their schemas
  "$PY" - "$f" <<'PYEOF'
import json, sys
doc = json.load(open(sys.argv[1]))
def short(entry):
    entry = {k: v for k, v in entry.items() if k not in ("schema", "metadata")}
    if isinstance(entry.get("stream"), dict):
        entry["stream"] = entry["stream"]["name"]
    return entry
print("#", sys.argv[1] + ":", json.dumps(doc if "streams" not in doc else [short(s) for s in doc["streams"]]))
PYEOF
done

now() { date +%s.%N; }
report() {  # report NAME RECORDS START END
  "$PY" -c 'import sys;n=int(sys.argv[2]);s=float(sys.argv[4])-float(sys.argv[3])
print(f"peer {sys.argv[1]} records={n} seconds={s:.2f} rate={n/s:.0f}")' "$@"
}
count_records() { grep -c '"type": *"RECORD"' "$1" || true; }
TAP="$VENV_DIR/tap-postgres/bin/tap-postgres --config $VENV_DIR/bench-singer-config.json"
PWTAP="$VENV_DIR/pipelinewise/bin/tap-postgres --config $VENV_DIR/bench-pipelinewise-config.json"
TARGET="$VENV_DIR/target-jsonl/bin/target-jsonl --config $VENV_DIR/bench-target-jsonl-config.json"
OUT=$VENV_DIR/target-out/public-bench_plugin_orders.jsonl

singer_peers() {  # singer_peers NAME TAP CATALOG_FLAG CATALOG: the tap into a file, then into target-jsonl
  local t0 t1
  t0=$(now); $2 "$3" "$4" > "$WORK/$1.jsonl" 2> "$WORK/$1.log"; t1=$(now)
  report "singer $1->file" "$(count_records "$WORK/$1.jsonl")" "$t0" "$t1"
  rm -rf "$VENV_DIR/target-out"
  t0=$(now); $2 "$3" "$4" 2> "$WORK/$1.log" | $TARGET > "$WORK/state.json" 2> "$WORK/target.log"; t1=$(now)
  report "singer $1->target-jsonl" "$(wc -l < "$OUT")" "$t0" "$t1"
}
singer_peers meltanolabs-tap-postgres "$TAP" --catalog "$VENV_DIR/bench-singer-catalog.json"
singer_peers pipelinewise-tap-postgres "$PWTAP" --properties "$VENV_DIR/bench-pipelinewise-catalog.json"
t0=$(now)
"$VENV_DIR/faker/bin/source-faker" read --config "$VENV_DIR/bench-faker-config.json" \
  --catalog "$VENV_DIR/bench-faker-catalog.json" > "$WORK/faker.jsonl" 2> "$WORK/faker.log"
t1=$(now)
report "airbyte faker read->file" "$(count_records "$WORK/faker.jsonl")" "$t0" "$t1"
