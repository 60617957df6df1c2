"""orders_csv: how orders_file reads a CSV file: rows with their lines, record values and cursor order."""
import csv
import os
import re
from decimal import Decimal


SAFE_INTEGER = 2**53 - 1
INTEGER = re.compile(r"(0|-?[1-9][0-9]*)\Z")
NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?\Z")


class Failure(Exception):
    """The operation failed as a whole: reported as one `failure` message, then the process exits `status`."""

    def __init__(self, code, message, field=None, status=1):
        super().__init__(message)
        self.code, self.message, self.field, self.status = code, message, field, status


def convert(text):
    """A CSV value as a record value: a plain integer within ±(2^53-1) becomes a number, anything else stays text."""
    if INTEGER.match(text):
        number = int(text)
        if abs(number) <= SAFE_INTEGER:
            return number
    return text


def numeric(value):
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, str) and NUMBER.match(value):
        return Decimal(value)
    return None


def greater(a, b):
    """a > b: numerically when both are numbers (or numeric text), else as text."""
    x, y = numeric(a), numeric(b)
    if x is not None and y is not None:
        return x > y
    return str(a) > str(b)


def open_csv(path):
    """The file opened for reading, or a failure on `path` a person can act on."""
    try:
        return open(path, "rb")
    except FileNotFoundError:
        where = "" if os.path.isabs(path) else f" (a relative path starts at the plugin's working directory " \
                                                f"{os.getcwd()}: give an absolute path)"
        raise Failure("orders_file.not_found", f"{path}: no such file{where}", field="path") from None
    except IsADirectoryError:
        raise Failure("orders_file.not_a_file", f"{path} is a folder: give the CSV file in it", field="path") from None
    except PermissionError:
        raise Failure("orders_file.unreadable", f"{path}: permission denied (the plugin cannot read it)",
                      field="path") from None
    except OSError as error:
        raise Failure("orders_file.unreadable", f"{path}: {error.strerror}", field="path") from None


class CsvRows:
    """The rows of a CSV file as (line, raw text, values or None, problem or None); blank lines are skipped."""

    def __init__(self, handle, delimiter):
        self.raw, self.bad_utf8, self.start = [], False, 1
        self.reader = csv.reader(self._lines(handle), delimiter=delimiter, strict=True)

    def _lines(self, handle):
        for number, data in enumerate(handle, 1):
            if number == 1 and data.startswith(b"\xef\xbb\xbf"):
                data = data[3:]
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                text, self.bad_utf8 = data.decode("utf-8", "replace"), True
            self.raw.append(text)
            yield text

    def __iter__(self):
        while True:
            try:
                values, problem = next(self.reader), None
            except StopIteration:
                return
            except csv.Error as error:
                values, problem = None, str(error)
            raw = "".join(self.raw).rstrip("\r\n")
            if self.bad_utf8:
                values, problem = None, "is not UTF-8"
            self.raw, self.bad_utf8 = [], False
            start, self.start = self.start, self.reader.line_num + 1
            if values != []:
                yield start, raw, values, problem


def read_header(rows, path):
    """The header row's column names, or a failure on `path`."""
    name = os.path.basename(path)
    first = next(iter(rows), None)
    if first is None:
        raise Failure("orders_file.empty", f"{name} is empty: it needs a header row", field="path")
    line, _, header, problem = first
    if problem:
        raise Failure("orders_file.bad_header", f"{name} line {line} (the header) {problem}", field="path")
    seen = set()
    for index, column in enumerate(header, 1):
        if column == "":
            raise Failure("orders_file.bad_header", f"{name}: column {index} of the header has no name", field="path")
        if column in seen:
            raise Failure("orders_file.bad_header", f"{name}: the header names {column!r} twice", field="path")
        seen.add(column)
    return header


def row_error(header, line, values, problem):
    """Why a row is not a record, or None when it is one."""
    if problem == "is not UTF-8":
        return "orders_file.bad_encoding", f"line {line} is not UTF-8"
    if problem:
        return "orders_file.bad_row", f"line {line}: {problem}"
    if len(values) != len(header):
        return "orders_file.bad_row", f"line {line} has {plural(len(values), 'field')}, the header has {len(header)}"
    return None


def plural(count, noun):
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def stream_name(path):
    return os.path.splitext(os.path.basename(path))[0]


def seen_before(header, values, cursor, after):
    """A bad row whose cursor value can be read and is not past the checkpoint: an earlier read reported it."""
    index = header.index(cursor)
    return values is not None and index < len(values) and values[index] != "" and \
        not greater(convert(values[index]), after)
