"""CSV downloads that spreadsheet programs open correctly and safely.

UTF-8 with a byte-order mark (so Excel reads 臺北市), streamed row by row, and every
cell that a spreadsheet would take for a formula (=, +, -, @, tab, carriage return)
prefixed with an apostrophe."""
import csv
import io

from flask import Response, stream_with_context

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_lines(header, rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(cells):
        writer.writerow([safe_cell(c) for c in cells])
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield "\ufeff" + line(header)
    for row in rows:
        yield line(row)


def csv_response(filename, header, rows):
    """A streamed CSV attachment; `rows` may be a generator reading the database in batches."""
    response = Response(stream_with_context(csv_lines(header, rows)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
