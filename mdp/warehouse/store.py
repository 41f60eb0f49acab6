"""Where the warehouse's files are and how a month of a register is written.

Layout (Hive-style partitions, readable by any Parquet engine):

    <warehouse>/<register>/month=YYYYMM/data.parquet

One file per register and month keeps every extraction streaming month by month
(memory bounded by one month) and lets an import replace a month by a rename.
Months are integers YYYYMM throughout the code; people write them "2015-09".
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from mdp import settings
from mdp.warehouse.schema import WarehouseError, columns, get_register

MONTH_RE = re.compile(r"^(\d{4})-?(\d{2})$")


def parse_month(text: str, what: str = "month") -> int:
    """'2015-09' or '201509' -> 201509."""
    m = MONTH_RE.match(str(text).strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise WarehouseError(f"{what} {text!r} is not a month like 2015-09")
    return int(m.group(1)) * 100 + int(m.group(2))


def show_month(month: int) -> str:
    return f"{month // 100}-{month % 100:02d}"


def month_range(first: int, last: int) -> list[int]:
    """Every month from first to last, inclusive."""
    months, y, m = [], first // 100, first % 100
    while y * 100 + m <= last:
        months.append(y * 100 + m)
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


class Warehouse:
    def __init__(self, root: Path | None = None):
        self.root = Path(root or settings.get().warehouse_dir)

    def relpath(self, register: str, month: int) -> str:
        return f"{register}/month={month}/data.parquet"

    def file(self, register: str, month: int) -> Path:
        return self.root / self.relpath(register, month)

    def months(self, register: str) -> list[int]:
        folder = self.root / register
        if not folder.is_dir():
            return []
        return sorted(int(p.parent.name.split("=")[1]) for p in folder.glob("month=*/data.parquet"))

    def registers(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and self.months(p.name)) \
            if self.root.is_dir() else []

    def missing(self, register: str, months: list[int]) -> list[int]:
        have = set(self.months(register))
        return [m for m in months if m not in have]


def write_month(con: duckdb.DuckDBPyConnection, register: str, source_sql: str, path: Path) -> None:
    """Write one month of `register` from a query whose columns are (a subset of) the dictionary's.

    Columns are cast to their stored type and put in dictionary order; variables the
    source lacks are stored as NULL.
    """
    have = {row[0] for row in con.execute(f"DESCRIBE ({source_sql})").fetchall()}
    select = ", ".join(
        (f'CAST("{c.name}" AS {c.sql_type})' if c.name in have else f"CAST(NULL AS {c.sql_type})") + f' AS "{c.name}"'
        for c in columns(get_register(register)))
    path.parent.mkdir(parents=True, exist_ok=True)
    con.execute(f"COPY (SELECT {select} FROM ({source_sql}) ORDER BY ALL) TO '{path}' "
                f"(FORMAT PARQUET, COMPRESSION ZSTD, ROW_GROUP_SIZE 262144)")
