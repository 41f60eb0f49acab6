"""Load real monthly source files into the warehouse, after checking them against the dictionary.

Sources are Stata (.dta, read with pyreadstat), CSV (read as text, so that the
type checks below are ours, not a guess of the reader) or Parquet. Every file is
checked before anything is written, and the report lists every problem: file,
column, how many rows, a few examples. If there is any problem, nothing is loaded.
Otherwise each month found in the files replaces that month of the register, all
at once (mdp.staging): a reader never sees half an import.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import duckdb

from mdp.staging import Staging
from mdp.warehouse.schema import PERIOD, WarehouseError, columns, get_register
from mdp.warehouse.store import Warehouse, write_month

INTEGER_TYPES = ("SMALLINT", "INTEGER", "BIGINT")


class ImportProblems(WarehouseError):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s); nothing was loaded:\n" + "\n".join(f"  - {p}" for p in problems))


def _open(con: duckdb.DuckDBPyConnection, path: Path, view: str) -> None:
    suffix = path.suffix.lower()
    if suffix == ".dta":
        import pyreadstat

        frame, _ = pyreadstat.read_dta(str(path))
        con.register(view, frame)
        return
    reader = {".csv": f"read_csv('{path}', all_varchar = true, header = true)",
              ".parquet": f"read_parquet('{path}')"}.get(suffix)
    if reader is None:
        raise WarehouseError(f"{path}: unknown kind of file (use .dta, .csv or .parquet)")
    con.execute(f"CREATE VIEW {view} AS SELECT * FROM {reader}")
    con.execute(f"SELECT count(*) FROM {view}").fetchone()  # reads it all: a corrupt file fails here


def _examples(con, view: str, col: str, where: str) -> tuple[int, str]:
    count, examples = con.execute(
        f'SELECT count(*), list(DISTINCT CAST("{col}" AS VARCHAR))[1:3] FROM {view} WHERE {where}').fetchone()
    return count, ", ".join(repr(e) for e in (examples or []))


def check_file(con, register: str, path: Path, view: str) -> tuple[list[str], list[int]]:
    """Problems found in one source file, and the months it holds."""
    try:
        _open(con, path, view)
    except WarehouseError as exc:
        return [str(exc)], []
    except Exception as exc:  # pyreadstat, DuckDB: each has its own error types for a damaged file
        return [f"{path.name}: cannot be read, the file is damaged or not what its name says "
                f"({type(exc).__name__}: {str(exc).splitlines()[0][:200]})"], []
    have = [row[0] for row in con.execute(f"DESCRIBE {view}").fetchall()]
    known = {c.name: c for c in columns(get_register(register))}
    problems = []
    for name in have:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            problems.append(f"{path.name}: column {name!r} is not a variable of register {register}"
                            + (f" (did you mean {close[0]!r}?)" if close else ""))
    if PERIOD not in have:
        return problems + [f"{path.name}: no {PERIOD} column, so its rows cannot be placed in a month"], []
    for name in have:
        col = known.get(name)
        if col is None:
            continue
        value, typed = f'"{name}"', f'TRY_CAST("{name}" AS {col.sql_type})'
        bad_type = f"{value} IS NOT NULL AND {typed} IS NULL"
        if col.sql_type in INTEGER_TYPES:  # 1.5 would silently round to 2
            bad_type += f" OR TRY_CAST({value} AS DOUBLE) <> {typed}"
        count, examples = _examples(con, view, name, bad_type)
        if count:
            problems.append(f"{path.name}: column {name}: {count} value(s) are not of type {col.sql_type} "
                            f"(e.g. {examples})")
            continue
        if col.codes:
            codes = ", ".join(str(c) if col.sql_type == "SMALLINT" else f"'{c}'" for c in col.codes)
            count, examples = _examples(con, view, name, f"{typed} NOT IN ({codes})")
            if count:
                problems.append(f"{path.name}: column {name}: {count} value(s) outside the code list "
                                f"{list(col.codes)} (e.g. {examples})")
    if any(p.startswith(f"{path.name}: column {PERIOD}:") for p in problems):
        return problems, []
    month = f'TRY_CAST("{PERIOD}" AS INTEGER)'
    count, examples = _examples(con, view, PERIOD, f"{month} IS NULL OR {month} % 100 NOT BETWEEN 1 AND 12 "
                                                   f"OR {month} NOT BETWEEN 190001 AND 299912")
    if count:
        problems.append(f"{path.name}: column {PERIOD}: {count} value(s) are not months YYYYMM (e.g. {examples})")
        return problems, []
    months = [m for (m,) in con.execute(f"SELECT DISTINCT {month} FROM {view} ORDER BY 1").fetchall()]
    return problems, months


def load(register: str, paths: list[Path], warehouse: Warehouse | None = None) -> dict[int, int]:
    """Check every file, then load them (all or nothing); returns the rows loaded per month."""
    get_register(register)
    warehouse = warehouse or Warehouse()
    con = duckdb.connect()
    problems, months_of = [], {}
    for i, path in enumerate(paths):
        path = Path(path)
        if not path.is_file():
            problems.append(f"{path}: no such file")
            continue
        found, months = check_file(con, register, path, f"src{i}")
        problems += found
        months_of[f"src{i}"] = months
    if problems:
        raise ImportProblems(problems)
    rows = {}
    with Staging(warehouse.root) as staging:
        staged = []
        for month in sorted({m for months in months_of.values() for m in months}):
            source = " UNION ALL BY NAME ".join(
                f'SELECT * FROM {view} WHERE TRY_CAST("{PERIOD}" AS INTEGER) = {month}'
                for view, months in months_of.items() if month in months)
            rel = warehouse.relpath(register, month)
            write_month(con, register, source, staging.path / rel)
            rows[month] = con.execute(f"SELECT count(*) FROM read_parquet('{staging.path / rel}')").fetchone()[0]
            staged.append(rel)
        staging.commit(staged)
    return rows
