#!/usr/bin/env python3
"""singer_counter: a well-behaved incremental Singer tap (one stream, `items`) for Onramp's plugin tests.

--config FILE: {"count": N, "state_every": K (default 10)}. Emits SCHEMA, then RECORDs id = bookmark + 1 .. N and a
STATE {"bookmarks": {"items": {"id": last}}} after every K records and at the end. --state FILE: that state.
--catalog/--properties FILE: a stream whose metadata says selected false is not read; fields whose breadcrumb
["properties", F] says selected false are left out (id is automatic). --discover prints the catalog.
"""
import json
import os
import sys
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import singer_test_tap as tap  # noqa: E402

STREAM = tap.STREAM
PROPERTIES = {
    "id": {"type": "integer"},
    "name": {"type": ["null", "string"]},
    "amount": {"type": ["null", "number"]},
    "created_at": {"type": ["null", "string"], "format": "date-time"},
}
EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)


def fail(message):
    tap.fail("singer_counter", message)


def catalog():
    metadata = [{"breadcrumb": [], "metadata": {
        "table-key-properties": ["id"], "valid-replication-keys": ["id"],
        "forced-replication-method": "INCREMENTAL", "inclusion": "available", "selected-by-default": True}}]
    metadata += [{"breadcrumb": ["properties", name], "metadata": {
        "inclusion": "automatic" if name == "id" else "available", "selected-by-default": True}}
        for name in PROPERTIES]
    return {"streams": [{"tap_stream_id": STREAM, "stream": STREAM, "key_properties": ["id"],
                         "replication_key": "id", "replication_method": "INCREMENTAL",
                         "schema": {"type": "object", "properties": PROPERTIES}, "metadata": metadata}]}


def selection(chosen):
    """The fields to emit, or None when the catalog leaves the stream out."""
    if chosen is None:
        return list(PROPERTIES)
    streams = [s for s in chosen.get("streams", []) if s.get("tap_stream_id", s.get("stream")) == STREAM]
    if not streams:
        return None
    fields = list(PROPERTIES)
    for entry in streams[0].get("metadata", []):
        breadcrumb, meta = entry.get("breadcrumb"), entry.get("metadata", {})
        if breadcrumb == [] and meta.get("selected") is False:
            return None
        if len(breadcrumb or []) == 2 and breadcrumb[1] in fields and breadcrumb[1] != "id" \
                and meta.get("selected") is False:
            fields.remove(breadcrumb[1])
    return fields


def bookmark(state):
    """The last id the state covers (0 without one)."""
    if isinstance(state, dict) and "bookmarks" not in state and isinstance(state.get("value"), dict):
        state = state["value"]  # a STATE message's value, as some targets save it
    try:
        last = state.get("bookmarks", {}).get(STREAM, {}).get("id", 0)
    except AttributeError:
        last = None
    if not isinstance(last, int) or isinstance(last, bool):
        fail(f'the state must be {{"bookmarks": {{"{STREAM}": {{"id": N}}}}}}, not {json.dumps(state)}')
    return last


def main():
    args = tap.parse("singer_counter", "A Singer tap that counts.")
    config = args.config
    count, every = config.get("count"), config.get("state_every", 10)
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        fail('config "count" must be a whole number, 0 or more')
    if not isinstance(every, int) or isinstance(every, bool) or every < 1:
        fail('config "state_every" must be a whole number, 1 or more')
    if args.discover:
        print(json.dumps(catalog(), indent=2))
        return 0
    last = bookmark(tap.load("singer_counter", args.state, "state") if args.state else {})
    chosen = args.catalog or args.properties
    fields = selection(tap.load("singer_counter", chosen, "catalog") if chosen else None)
    if fields is None:
        print(f"INFO singer_counter: stream {STREAM} is not selected", file=sys.stderr)
        return 0
    print(f"INFO singer_counter: syncing {STREAM} after id {last} up to {count}", file=sys.stderr)
    tap.emit({"type": "SCHEMA", "stream": STREAM, "key_properties": ["id"], "bookmark_properties": ["id"],
          "schema": {"type": "object", "properties": {f: PROPERTIES[f] for f in fields}}})
    extracted = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    for n, item in enumerate(range(last + 1, count + 1), 1):
        full = {"id": item, "name": f"item {item}", "amount": item + 0.25,
                "created_at": (EPOCH + timedelta(minutes=item)).strftime("%Y-%m-%dT%H:%M:%SZ")}
        tap.emit({"type": "RECORD", "stream": STREAM, "record": {f: full[f] for f in fields},
              "time_extracted": extracted})
        last = item
        if n % every == 0:
            tap.emit({"type": "STATE", "value": {"bookmarks": {STREAM: {"id": last}}}})
    tap.emit({"type": "STATE", "value": {"bookmarks": {STREAM: {"id": last}}}})
    return 0


if __name__ == "__main__":
    sys.exit(main())
