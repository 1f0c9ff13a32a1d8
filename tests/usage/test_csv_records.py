"""Bounded CSV records agree with the csv module on every record they keep, and hold nothing long."""
from __future__ import annotations

import csv
import io
import time
import tracemalloc
from collections.abc import Iterator

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.usage.csv_records import BoundedLines, RecordTooLong
from tests.support.piecewise_stream import PiecewiseStream

TOO_LONG = "too long"
csv_text = st.text(alphabet='ab,"\r\n', max_size=300)


def lines_of(text: str) -> list[str]:
    return io.StringIO(text, newline="").readlines()


def plain_records(text: str) -> list[tuple[list[str], int]]:
    """What csv reads from whole lines: each record with its length in characters."""
    lines, used = iter(lines_of(text)), [0]

    def counted() -> Iterator[str]:
        for line in lines:
            used[0] += len(line)
            yield line

    reader, records, start = csv.reader(counted()), [], 0
    for values in reader:
        records.append((values, used[0] - start))
        start = used[0]
    return records


def bounded_records(text: str, limit: int) -> list[list[str] | str]:
    lines = BoundedLines(io.StringIO(text, newline=""), limit)
    reader, records = csv.reader(lines), []
    while True:
        try:
            values: list[str] | str = next(reader)
        except StopIteration:
            return records
        except RecordTooLong:
            values = TOO_LONG
        lines.new_record()
        records.append(values)


def non_blank(records: list) -> list:
    """Blank records: a cut between CR and LF reads as one more blank line, which the importer skips."""
    return [values for values in records if values != []]


@settings(max_examples=400, deadline=None)
@given(csv_text, st.integers(1, 40))
def test_records_within_the_limit_read_as_csv_reads_them_and_longer_ones_once_each(text, limit):
    expected = [values if length <= limit else TOO_LONG for values, length in plain_records(text)]
    assert non_blank(bounded_records(text, limit)) == non_blank(expected)


def test_a_quote_inside_an_unquoted_field_does_not_open_a_quoted_field():
    text = 'screen 15" wide,' + "x" * 100 + '\nnext,"quoted\nover two lines"\n'
    assert bounded_records(text, 50) == [TOO_LONG, ["next", "quoted\nover two lines"]]


def test_a_quoted_field_over_many_lines_is_one_refused_record():
    text = 'a,b\n"' + "line\n" * 1000 + '",end\nc,d\n'
    assert bounded_records(text, 100) == [["a", "b"], TOO_LONG, ["c", "d"]]


def test_a_20_mb_line_is_read_past_without_being_held():
    limit, line_chars = 1024 * 1024, 20 * 1024 * 1024

    # ``a,b``, then one 20 MB line, then ``c,d``, produced as they are read
    long_line = PiecewiseStream([b"a,b\n", *[b"x," * 32768] * (line_chars // 65536), b"\nc,d\n"])
    text = io.TextIOWrapper(io.BufferedReader(long_line), encoding="utf-8", newline="")
    tracemalloc.start()
    try:
        started = time.process_time()
        lines = BoundedLines(text, limit)
        reader, records = csv.reader(lines), []
        while True:
            try:
                records.append(next(reader))
            except StopIteration:
                break
            except RecordTooLong as exc:
                records.append(str(exc))
            lines.new_record()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert records == [["a", "b"], f"is longer than {limit} characters", ["c", "d"]]
    assert peak < 6 * limit, peak
    assert time.process_time() - started < 20
