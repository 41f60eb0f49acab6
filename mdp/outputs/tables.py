"""Read a submitted CSV or XLSX table into plain rows, for the checks and the viewer.

Cells stay as the file has them (text, or numbers for XLSX); `number()` says
whether a cell holds a number. Only values are read: XLSX formulas are read as
their cached results, macros and links are never run.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _

from mdp.outputs.enums import FileKind


class TableError(ValueError):
    """The file is not a table we can read; str(exc) says why."""


@dataclass
class Sheet:
    name: str
    header: list
    rows: list  # list of lists, each as long as the header or shorter

    def label_columns(self) -> int:
        """How many leading columns are labels (hold a non-number somewhere), as in a crosstab's index."""
        width = len(self.header)
        for col in range(width):
            if all(number(row[col]) is not None for row in self.rows if col < len(row) and row[col] not in ("", None)):
                return col
        return width


def number(value) -> float | None:
    """The cell's value as a number, or None if it holds text or nothing."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def csv_dialect(text: str):
    try:
        return csv.Sniffer().sniff(text[:8192], delimiters=",;\t")
    except csv.Error:
        return csv.excel


def read_csv_text(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text), csv_dialect(text)))


def read(path: Path, kind: FileKind) -> list[Sheet]:
    if kind == FileKind.CSV:
        rows = read_csv_text(path.read_bytes().decode("utf-8-sig"))
        rows = [r for r in rows if r]
        if not rows:
            raise TableError(_("the table is empty"))
        return [Sheet("table", rows[0], rows[1:])]
    if kind == FileKind.XLSX:
        return _read_xlsx(path)
    raise TableError(_("a %(kind)s is not a table") % {"kind": kind})


def _read_xlsx(path: Path) -> list[Sheet]:
    import openpyxl  # only when an XLSX is submitted

    stream = open(path, "rb")  # a file object: openpyxl judges a path by its suffix, snapshots have none
    try:
        book = openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        stream.close()
        raise TableError(_("the workbook cannot be read (%(error)s)") % {"error": type(exc).__name__}) from None
    try:
        sheets = []
        for ws in book.worksheets:
            rows = [["" if v is None else v for v in row] for row in ws.iter_rows(values_only=True)]
            while rows and not any(v != "" for v in rows[-1]):
                rows.pop()
            if rows:
                sheets.append(Sheet(ws.title, [str(v) for v in rows[0]], rows[1:]))
        if not sheets:
            raise TableError(_("the workbook has no data"))
        return sheets
    finally:
        book.close()
        stream.close()
