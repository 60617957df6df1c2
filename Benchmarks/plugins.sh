#!/usr/bin/env bash
# The plugin benchmark: one Singer tap (meltanolabs-tap-postgres reading N rows of a PostgreSQL table) and one
# Airbyte source (faker, N users) through `onramp run` (release build) into NDJSON, beside their peers measured in
# the same run by Benchmarks/plugins_peer.sh on the same input: tap | target-jsonl, tap > file, faker read > file.
# Prints records/s and the ratios. Usage: Benchmarks/plugins.sh   (N=... to change the size; venvs kept in
# .venv-plugins; needs the PostgreSQL server binaries)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-100000}
VENV_DIR=${ONRAMP_BENCH_PLUGIN_VENVS:-.venv-plugins}
swift build -c release --product onramp
source scripts/postgres-test.sh
WORK=$(mktemp -d /tmp/onramp-pluginbench.XXXXXX)
chmod 755 "$WORK"
trap 'postgres_test_stop; rm -rf "$WORK"' EXIT
Benchmarks/plugins_peer.sh "$VENV_DIR" "$N" | tee "$WORK/peers.txt"
VENV_DIR=$(cd "$VENV_DIR" && pwd)

# The same programs as Onramp plugins (no second install).
mkdir -p "$WORK/plugins/tap-postgres" "$WORK/plugins/source-faker"
echo "{\"name\": \"tap-postgres\", \"protocol\": \"singer\", \"command\": \"$VENV_DIR/tap-postgres/bin/tap-postgres\"}" \
  > "$WORK/plugins/tap-postgres/plugin.json"
echo "{\"name\": \"source-faker\", \"protocol\": \"airbyte\", \"command\": \"$VENV_DIR/faker/bin/source-faker\"}" \
  > "$WORK/plugins/source-faker/plugin.json"
chmod -R a+rX "$WORK/plugins"
cat > "$WORK/singer.yaml" <<YAML
version: 1
name: singer-bench
source:
  connector: tap-postgres
  config: {stream: public-bench_plugin_orders, settings: $(cat "$VENV_DIR/bench-singer-config.json" | tr -d '\n')}
  incremental: {replication_key: updated_at}
destination: {connector: file, config: {path: $WORK/singer.ndjson, format: ndjson}}
YAML
cat > "$WORK/airbyte.yaml" <<YAML
version: 1
name: airbyte-bench
source:
  connector: source-faker
  config: {stream: users, settings: $(cat "$VENV_DIR/bench-faker-config.json" | tr -d '\n')}
  incremental: {}
destination: {connector: file, config: {path: $WORK/airbyte.ndjson, format: ndjson}}
YAML
now() { date +%s.%N; }
onramp_run() {  # onramp_run NAME PIPELINE OUT
  local t0 t1
  t0=$(now)
  .build/release/onramp run "$2" --plugins "$WORK/plugins" --output "$WORK/out-$1" > "$WORK/$1.log" 2>&1 \
    || { tail -20 "$WORK/$1.log"; exit 1; }
  t1=$(now)
  python3 -c 'import sys;n=int(sys.argv[2]);s=float(sys.argv[4])-float(sys.argv[3])
print(f"onramp {sys.argv[1]} records={n} seconds={s:.2f} rate={n/s:.0f}")' "$1" "$(wc -l < "$3")" "$t0" "$t1"
}
onramp_run "singer" "$WORK/singer.yaml" "$WORK/singer.ndjson" | tee -a "$WORK/peers.txt"
onramp_run "airbyte" "$WORK/airbyte.yaml" "$WORK/airbyte.ndjson" | tee -a "$WORK/peers.txt"
head -c 300 "$WORK/singer.ndjson"; echo
python3 - "$WORK/peers.txt" <<'PY'
import re, sys
rate = {}
for line in open(sys.argv[1]):
    m = re.match(r"(peer|onramp) (.+?) records=(\d+) seconds=([\d.]+) rate=(\d+)", line.strip())
    if m:
        rate[m.group(2)] = int(m.group(5))
s, a = rate["singer"], rate["airbyte"]
print(f"singer: onramp {s:,} records/s = {s / rate['singer meltanolabs-tap-postgres->target-jsonl']:.2f}x tap|target-jsonl, "
      f"{s / rate['singer meltanolabs-tap-postgres->file']:.2f}x the tap alone into a file")
print(f"airbyte: onramp {a:,} records/s = {a / rate['airbyte faker read->file']:.2f}x faker's own read into a file")
PY
