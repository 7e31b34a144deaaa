"""CSV downloads that spreadsheet programs open correctly and safely.

UTF-8 with a byte-order mark (so Excel reads 臺北市), streamed row by row, and every
cell that a spreadsheet could take for a formula prefixed with an apostrophe: see safe_cell().
Every CSV the application serves goes through csv_response() (and so through safe_cell())."""
import csv
import io
import unicodedata

from flask import Response, stream_with_context

from .headers import attachment

# A formula's first character, once compatibility forms are folded (NFKC): the full-width
# ＝＋－＠ and the small ﹦﹢﹣﹫ that an IME types, or that a spreadsheet folds, count too.
FORMULA_CHARACTERS = frozenset("=+-@\u2212")  # U+2212 MINUS SIGN (what NFKC makes of ⁻ and ₋)
# Characters a spreadsheet may skip or drop before it looks at the first one.
IGNORED_CATEGORIES = {"Cc", "Cf", "Zs", "Zl", "Zp"}  # controls, format (ZWSP, BOM, bidi), spaces


def needs_neutralizing(text):
    """Whether a spreadsheet could read `text` as a formula (or a DDE call): it starts with a
    formula character, in any width, possibly behind spaces, zero-width or format characters
    (U+200B, a BOM, bidi controls) or controls — or it starts with a tab or a line break."""
    if not text:
        return False
    if text[0] in "\t\r\n":
        return True
    for character in text:
        if unicodedata.category(character) in IGNORED_CATEGORIES:
            continue
        return unicodedata.normalize("NFKC", character)[:1] in FORMULA_CHARACTERS
    return False


def safe_cell(value):
    """The cell's text, with an apostrophe in front if a spreadsheet could run it as a formula."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if needs_neutralizing(text) else text


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
    response.headers["Content-Disposition"] = attachment(filename)
    response.headers["Cache-Control"] = "private, no-store"
    return response
