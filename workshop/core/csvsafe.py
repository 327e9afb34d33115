"""CSV that a spreadsheet cannot be tricked into executing.

A cell starting with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage return that
some spreadsheets strip before reading one of those) is read as a formula by Excel,
LibreOffice and Google Sheets: ``=HYPERLINK(...)`` typed into a workshop answer
would become a live link in the SOC's backlog. OWASP's guidance is to prefix such
cells with a single quote, which spreadsheets display as text.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
#: A plain number written as text ("-5", "+1.5"): data, not a formula.
_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")


def safe_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return str(value)  # a negative number is data, not a formula
    text = str(value)
    if _NUMBER.fullmatch(text):
        return text
    if text.startswith(FORMULA_START) or text.lstrip().startswith(FORMULA_START[:4]):
        return "'" + text
    return text


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(c) for c in row])
    return buf.getvalue()
