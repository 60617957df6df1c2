#!/usr/bin/env python3
"""Tests of orders_file through its stdin/stdout protocol.

Run: python3 -m unittest discover -s examples/plugins/orders_file
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

PLUGIN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "orders_file.py")


def run(*lines, cwd=None):
    """The plugin's stdout messages and exit status for these stdin lines (dicts are sent as JSON)."""
    text = "".join((json.dumps(l) if isinstance(l, dict) else l) + "\n" for l in lines)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run([sys.executable, PLUGIN], input=text.encode(), capture_output=True, cwd=cwd, env=env,
                          timeout=60)
    messages = [json.loads(line) for line in done.stdout.decode("utf-8").splitlines()]
    return messages, done.returncode


def read_request(path, checkpoint=None, incremental=None, batch_size=1000, fields=None, stream=None):
    return {"type": "read", "config": {"path": path}, "stream": stream, "fields": fields,
            "incremental": incremental, "checkpoint": checkpoint, "batch_size": batch_size}


def valid(value, schema):
    """value against the subset of JSON Schema the plugin's schemas use."""
    kind = schema["type"]
    if kind == "string":
        return isinstance(value, str) and schema.get("minLength", 0) <= len(value) <= schema.get("maxLength", 1e9)
    if kind == "array":
        return isinstance(value, list) and all(valid(item, schema["items"]) for item in value)
    raise AssertionError(f"the test does not know type {kind}")


class OrdersFileTests(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.TemporaryDirectory()
        self.addCleanup(self.folder.cleanup)

    def file(self, name, text):
        path = os.path.join(self.folder.name, name)
        with open(path, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        return path

    def test_spec_schemas_are_closed_titled_and_their_defaults_and_examples_validate(self):
        messages, status = run({"type": "spec", "protocol_version": 1})
        self.assertEqual(status, 0)
        self.assertEqual(len(messages), 1)
        spec = messages[0]
        self.assertEqual(spec["type"], "spec")
        for schema in (spec["source"]["config_schema"], spec["destination"]["config_schema"]):
            self.assertEqual(schema["type"], "object")
            self.assertIs(schema["additionalProperties"], False)
            self.assertTrue(set(schema["required"]) <= set(schema["properties"]))
            for name, prop in schema["properties"].items():
                self.assertIn("type", prop, name)
                self.assertTrue(prop.get("title") or prop.get("description"), name)
                if "default" in prop:
                    self.assertTrue(valid(prop["default"], prop), name)
                self.assertTrue(prop["examples"], name)
                for example in prop["examples"]:
                    self.assertTrue(valid(example, prop), f"{name}: {example!r}")
        self.assertEqual(spec["source"]["incremental_schema"]["type"], "object")

    def test_other_protocol_versions_are_refused(self):
        messages, status = run({"type": "spec", "protocol_version": 2})
        self.assertEqual((messages[0]["type"], status), ("failure", 2))

    def test_full_read_types_positions_and_bad_rows(self):
        path = self.file("orders.csv", 'id,name,total\r\n1,Ada,12.50\r\n2,"Bob, Jr.",7\r\n3,Cy\r\n'
                                       '4,"two\nlines",007\r\n\r\n5,Eve,-3\r\n')
        messages, status = run(read_request(path))
        self.assertEqual(status, 0)
        self.assertEqual(messages[-1], {"type": "done"})
        body = [m for m in messages if m["type"] != "log"][:-1]
        self.assertEqual(body, [
            {"type": "record", "record": {"id": 1, "name": "Ada", "total": "12.50"},
             "position": {"file": "orders.csv", "line": 2}},
            {"type": "record", "record": {"id": 2, "name": "Bob, Jr.", "total": 7},
             "position": {"file": "orders.csv", "line": 3}},
            {"type": "error", "code": "orders_file.bad_row", "message": "line 4 has 2 fields, the header has 3",
             "position": {"file": "orders.csv", "line": 4}, "value": "3,Cy"},
            {"type": "record", "record": {"id": 4, "name": "two\nlines", "total": "007"},
             "position": {"file": "orders.csv", "line": 5}},
            {"type": "record", "record": {"id": 5, "name": "Eve", "total": -3},
             "position": {"file": "orders.csv", "line": 8}},
        ])
        self.assertFalse([m for m in messages if m["type"] == "checkpoint"], "no checkpoints in a full read")

    def test_unquotable_rows_and_bad_utf8_are_error_records_and_the_read_goes_on(self):
        path = os.path.join(self.folder.name, "bad.csv")
        with open(path, "wb") as handle:
            handle.write(b'id,v\n1,"a"b\n2,\xff\n3,ok\n')
        messages, _ = run(read_request(path))
        kinds = [(m["type"], m.get("code"), m.get("position", {}).get("line")) for m in messages[1:-1]]
        self.assertEqual(kinds, [("error", "orders_file.bad_row", 2), ("error", "orders_file.bad_encoding", 3),
                                 ("record", None, 4)])

    def test_only_integers_a_double_holds_exactly_become_numbers(self):
        path = self.file("big.csv", "a,b,c,d\n9007199254740991,-9007199254740991,9007199254740992,1.0\n")
        messages, _ = run(read_request(path))
        self.assertEqual(messages[1]["record"], {"a": 2**53 - 1, "b": -(2**53 - 1), "c": "9007199254740992",
                                                 "d": "1.0"})

    def test_fields_and_stream_select(self):
        path = self.file("orders.csv", "id,name,total\n1,Ada,3\n")
        messages, _ = run(read_request(path, fields=["total", "id"], stream="orders"))
        self.assertEqual(messages[1]["record"], {"total": 3, "id": 1})
        messages, status = run(read_request(path, stream="invoices"))
        self.assertEqual((messages[-1]["code"], status), ("orders_file.unknown_stream", 1))
        messages, status = run(read_request(path, fields=["colour"]))
        self.assertEqual((messages[-1]["code"], status), ("orders_file.unknown_field", 1))

    def test_a_read_resumed_from_every_checkpoint_neither_skips_nor_repeats(self):
        for count, batch_size in [(0, 1), (1, 1), (7, 1), (7, 3), (25, 4), (100, 10), (100, 1000)]:
            rows = "".join(f"{i},item {i}\n" for i in range(1, count + 1))
            path = self.file(f"seed{count}.csv", "id,name\n" + rows)
            messages, status = run(read_request(path, incremental={}, batch_size=batch_size))
            self.assertEqual(status, 0)
            ids = [m["record"]["id"] for m in messages if m["type"] == "record"]
            self.assertEqual(ids, list(range(1, count + 1)))
            covered, checkpoints = 0, []
            for m in messages:
                covered += m["type"] == "record"
                if m["type"] == "checkpoint":
                    checkpoints.append((covered, m["checkpoint"]))
            self.assertEqual(checkpoints[-1][0], count, "the last checkpoint covers every record")
            self.assertTrue(all(b - a <= batch_size for (a, _), (b, _) in zip([(0, 0)] + checkpoints, checkpoints)))
            for covered, checkpoint in checkpoints:
                again, _ = run(read_request(path, checkpoint=checkpoint, incremental={}, batch_size=batch_size))
                self.assertEqual([m["record"]["id"] for m in again if m["type"] == "record"],
                                 list(range(covered + 1, count + 1)), f"{count} rows, from {checkpoint}")

    def test_cursor_values_compare_as_numbers_and_old_bad_rows_are_not_reported_again(self):
        path = self.file("orders.csv", "id,name\n9,a\n10,b\n11\n12,c\n")
        messages, _ = run(read_request(path, checkpoint={"cursor": 9}, incremental={}))
        self.assertEqual([(m["type"], m.get("record", {}).get("id")) for m in messages[1:-1]],
                         [("record", 10), ("error", None), ("record", 12), ("checkpoint", None)])
        self.assertEqual(messages[-2]["checkpoint"], {"cursor": 12})
        messages, _ = run(read_request(path, checkpoint={"cursor": 11}, incremental={}))
        self.assertEqual([m["type"] for m in messages[1:-1]], ["record", "checkpoint"])

    def test_checkpoints_never_split_rows_sharing_a_cursor_value(self):
        path = self.file("orders.csv", "id,day\n1,2026-11-03\n2,2026-11-03\n3,2026-11-03\n4,2026-11-04\n5,2026-11-04\n")
        request = {"type": "read", "config": {"path": path, "cursor_field": "day"}, "stream": None, "fields": None,
                   "incremental": {}, "checkpoint": None, "batch_size": 2}
        messages, _ = run(request)
        self.assertEqual([m["record"]["id"] if m["type"] == "record" else m.get("checkpoint") for m in messages[1:-1]],
                         [1, 2, 3, {"cursor": "2026-11-03"}, 4, 5, {"cursor": "2026-11-04"}])
        messages, _ = run(dict(request, checkpoint={"cursor": "2026-11-03"}))
        self.assertEqual([m["record"]["id"] for m in messages if m["type"] == "record"], [4, 5])

    def test_discover_and_check(self):
        path = self.file("orders.csv", "id,name,total\n1,Ada,12.50\n2,Bob,7\n")
        messages, _ = run({"type": "discover", "config": {"path": path}})
        self.assertEqual(messages, [{"type": "discover", "streams": [{
            "name": "orders", "kind": "file", "primary_key": ["id"], "cursor_field": ["id"], "fields": [
                {"name": "id", "type": "integer", "source_type": "csv", "nullable": False},
                {"name": "name", "type": "string", "source_type": "csv", "nullable": False},
                {"name": "total", "type": "string", "source_type": "csv", "nullable": False}]}]}])
        messages, _ = run({"type": "check", "kind": "source", "config": {"path": path}})
        self.assertEqual(messages, [{"type": "check", "ok": True, "message": "orders.csv: 2 rows, 3 columns"}])
        messages, status = run({"type": "check", "kind": "source", "config": {"path": "missing.csv"}},
                               cwd=self.folder.name)
        self.assertEqual((messages[0]["ok"], messages[0]["field"], status), (False, "path", 0))
        self.assertIn("no such file", messages[0]["message"])
        messages, _ = run({"type": "check", "kind": "source", "config": {"path": path, "colour": "red"}})
        self.assertEqual((messages[0]["ok"], messages[0]["field"]), (False, "colour"))

    def test_write_two_batches_then_close(self):
        path = os.path.join(self.folder.name, "out", "orders.ndjson")
        messages, status = run({"type": "write", "config": {"path": path, "required": ["total"]}},
                               '{"type":"batch","records":[{"id":1,"total":12.50},{"id":2},{"id":3,"total":null}]}',
                               '{"type":"batch","records":[{"id":4,"total":1e400,"name":"Zoë"}]}',
                               {"type": "close"})
        self.assertEqual(status, 0)
        missing = {"ok": False, "code": "orders_file.missing_field", "message": "missing total"}
        self.assertEqual(messages, [{"type": "outcomes", "outcomes": [{"ok": True}, missing, missing]},
                                    {"type": "outcomes", "outcomes": [{"ok": True}]}, {"type": "closed"}])
        with open(path, encoding="utf-8") as handle:
            self.assertEqual(handle.read(), '{"id":1,"total":12.50}\n{"id":4,"total":1E+400,"name":"Zoë"}\n')

    def test_stdin_ending_before_close_fails_but_keeps_acknowledged_records(self):
        path = os.path.join(self.folder.name, "orders.ndjson")
        messages, status = run({"type": "write", "config": {"path": path}}, {"type": "batch", "records": [{"id": 1}]})
        self.assertEqual([m["type"] for m in messages], ["outcomes", "failure"])
        self.assertEqual(status, 2)
        with open(path, encoding="utf-8") as handle:
            self.assertEqual(handle.read(), '{"id":1}\n')

    def test_bad_input_is_a_failure_with_exit_2_and_nothing_else_on_stdout(self):
        for lines in [(), ("not json",), ("[1,2]",), ('{"type":"dance"}',), ("",),
                      ('{"type":"read","batch_size":NaN}',),
                      ('{"type":"write","config":{"path":"x"}}', '{"type":"batch"}')]:
            messages, status = run(*lines, cwd=self.folder.name)
            self.assertEqual(status, 2, lines)
            self.assertEqual(messages[-1]["type"], "failure", lines)
            self.assertEqual(messages[-1]["code"], "orders_file.bad_request", lines)


if __name__ == "__main__":
    unittest.main()
