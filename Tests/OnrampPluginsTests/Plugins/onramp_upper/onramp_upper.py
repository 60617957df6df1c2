#!/usr/bin/env python3
"""onramp_upper: an Onramp-protocol transform step (Onramp's plugin tests).

settings: {"field": NAME}. Each record's NAME is upper-cased; a value holding "|" makes one record per part; a record
without NAME is an error naming its index. Answers spec, transform (batches until close).
"""
import json
import sys

SCHEMA = {"type": "object", "additionalProperties": False, "required": ["field"],
          "properties": {"field": {"type": "string", "title": "Field", "description": "The field to upper-case."}}}


def send(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def main():
    request = json.loads(sys.stdin.readline())
    if request["type"] == "spec":
        send({"type": "spec", "summary": "upper-cases a field", "transform": {"config_schema": SCHEMA}})
        return 0
    if request["type"] != "transform":
        send({"type": "failure", "code": "onramp_upper.bad_request", "message": "only spec and transform"})
        return 2
    field = request["config"]["field"]
    for line in sys.stdin:
        message = json.loads(line)
        if message["type"] == "close":
            send({"type": "closed"})
            return 0
        out, errors = [], []
        for index, record in enumerate(message["records"]):
            value = record.get(field)
            if not isinstance(value, str):
                errors.append({"index": index, "code": "onramp_upper.missing", "message": f"no text in {field}"})
                continue
            for part in value.split("|"):
                out.append({"index": index, "record": dict(record, **{field: part.upper()})})
        send({"type": "transformed", "batch": message["batch"], "records": out, "errors": errors})
    return 2


if __name__ == "__main__":
    sys.exit(main())
