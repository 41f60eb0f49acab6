"""Write one delivered file (a register for a month, or for the whole period) from its SQL.

Runs in worker processes, so it takes plain data (`PartJob`) and returns plain data.
Each file is made in three steps: DuckDB reads, filters and recodes the warehouse
(the SQL of mdp.extraction.run); the raw identifiers are then replaced by the
project's pseudonyms from the id maps, which a worker loads once as hash indexes
(a join in DuckDB would rebuild a million-entry hash table for every file); and
the rows are put in an order that depends on their values only.

The .dta writer is pandas' `DataFrame.to_stata` (format 118, UTF-8), chosen by
measurement: on a month of individuals (757,000 rows, value labels) it writes 2.3
to 3 times faster than `pyreadstat.write_dta` (benchmarks/extract.py prints the
comparison at each run). Its files read back with pyreadstat, R's haven and Stata. Parquet and CSV
are written by DuckDB from the same final frame.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

# A fixed header time stamp: the same specification gives byte-identical files.
STATA_TIMESTAMP = datetime(2002, 1, 1)


@dataclass(frozen=True)
class PartJob:
    sql: str
    path: str
    format: str
    outputs: tuple       # recode.Output of each column, in order
    data_label: str
    maps: tuple = ()     # (kind, path of its id map)
    ids: tuple = ()      # (column, kind of id): the columns holding raw identifiers, to pseudonymise
    threads: int = 1


@dataclass(frozen=True)
class PartResult:
    file: str
    rows: int
    variables: tuple
    sha256: str
    bytes: int


def _stata_frame(frame: pd.DataFrame, outputs) -> pd.DataFrame:
    columns = {}
    for out in outputs:
        col = frame[out.file_name]
        if out.kind in ("id", "int"):
            col = col.astype("Int32") if col.isna().any() else col.astype("int32")
        elif out.kind == "code":
            col = col.astype("Int16") if col.isna().any() else col.astype("int16")
        elif out.kind == "string":
            col = col.fillna("").astype(object)
        columns[out.file_name] = col
    return pd.DataFrame(columns)


def write_dta(frame: pd.DataFrame, path: Path, outputs, data_label: str) -> None:
    frame = _stata_frame(frame, outputs)
    frame.to_stata(
        path, version=118, write_index=False, time_stamp=STATA_TIMESTAMP, data_label=data_label[:80],
        convert_dates={o.file_name: "td" for o in outputs if o.kind == "date"},
        variable_labels={o.file_name: o.label[:80] for o in outputs},
        value_labels={o.file_name: dict(o.value_labels) for o in outputs if o.kind == "code"},
    )


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class IdMap:
    """One id map (raw id -> pseudonym) as a hash index, built once per worker and map version."""

    def __init__(self, raw: np.ndarray, pids: np.ndarray):
        self.index = pd.Index(raw)
        self.pids = pids.astype("int32")

    def pseudonyms(self, raw: pd.Series, column: str) -> pd.arrays.IntegerArray:
        position = self.index.get_indexer(raw)
        missing = position < 0
        if (missing & raw.notna().to_numpy()).any():
            raise RuntimeError(f"column {column}: ids missing from the project's id map (it was not updated first)")
        return pd.arrays.IntegerArray(np.where(missing, 0, self.pids[position]).astype("int32"), missing)


_CACHED: dict = {}


def _context(maps: tuple, threads: int) -> tuple[duckdb.DuckDBPyConnection, dict]:
    """A DuckDB connection and the id maps, kept for the next part of the same maps.

    A worker writes many parts: reading and indexing a map of millions of ids once
    per worker, not once per file.
    """
    key = (tuple((kind, path, os.stat(path).st_mtime_ns) for kind, path in maps), threads)
    if _CACHED.get("key") != key:
        if "con" in _CACHED:
            _CACHED.pop("con").close()
        con = duckdb.connect(config={"threads": threads})
        con.execute("SET enable_progress_bar = false")
        ids = {}
        for kind, path in maps:
            columns = con.execute(f"SELECT raw, pid FROM read_parquet('{path}')").fetchnumpy()
            ids[kind] = IdMap(columns["raw"], columns["pid"])
        _CACHED.update(key=key, con=con, ids=ids)
    return _CACHED["con"], _CACHED["ids"]


def _in_order(frame: pd.DataFrame, period: str, ids: list[str]) -> pd.DataFrame:
    """The rows ordered by period, then pseudonyms, so that the same specification gives the same bytes.

    Never by raw ids, whose order could say something. Period and first pseudonym
    usually identify a row (a person, a job in a month): one integer sort then, or,
    in a file of one month, none at all, as the pseudonyms are dense: each row goes to
    the slot of its number. Where they leave ties, every column decides: rows that
    still tie are identical, so any order of them writes the same bytes.
    """
    if frame.empty:
        return frame
    periods = frame[period].to_numpy("int64")
    first = frame[ids[0]].to_numpy("int64", na_value=-1) + 1 if ids else np.zeros(len(frame), "int64")
    if periods.min() == periods.max() and first.max() <= 8 * len(frame):
        slots = np.full(first.max() + 1, -1, dtype="int64")
        slots[first] = np.arange(len(frame))
        order = slots[slots >= 0]
        unique = len(order) == len(frame)
    else:
        key = periods << 32 | first
        order = np.argsort(key)
        ordered = key[order]
        unique = not (ordered[1:] == ordered[:-1]).any()
    if unique:
        return frame.take(order).reset_index(drop=True)
    keys = [period, *ids]
    return frame.sort_values(keys + [c for c in frame.columns if c not in keys], kind="stable", na_position="first",
                             ignore_index=True)


def final_frame(job: PartJob) -> pd.DataFrame:
    """The rows of the file, as delivered: recoded, pseudonymised and in order."""
    con, maps = _context(job.maps, job.threads)
    frame = con.execute(job.sql).df()
    for column, kind in job.ids:
        frame[column] = maps[kind].pseudonyms(frame[column], column)
    # Texts (codes such as countries and places) travel as categories (coded ones leave DuckDB as such, see
    # mdp.extraction.run): reordering then moves small integers, and each row of the result points to one
    # shared string. Reordered one-per-row strings lie scattered in memory, and the Stata writer's passes
    # over them ran 1.6 times slower (1.25 s against 0.78 s a month).
    texts = [o.file_name for o in job.outputs if o.kind == "string"]
    frame[texts] = frame[texts].astype("category")
    frame = _in_order(frame, job.outputs[0].file_name, [column for column, _ in job.ids])
    frame[texts] = frame[texts].astype(object)
    return frame


def write_part(job: PartJob) -> PartResult:
    path = Path(job.path)
    frame = final_frame(job)
    if job.format == "dta":
        write_dta(frame, path, job.outputs, job.data_label)
    else:
        con, _ = _context(job.maps, job.threads)
        dates = {o.file_name for o in job.outputs if o.kind == "date"}
        columns = ", ".join(f'CAST("{c}" AS DATE) AS "{c}"' if c in dates else f'"{c}"' for c in frame.columns)
        options = "FORMAT PARQUET, COMPRESSION ZSTD" if job.format == "parquet" else "FORMAT CSV, HEADER"
        con.register("part_frame", frame)
        con.execute(f"COPY (SELECT {columns} FROM part_frame) TO '{path}' ({options})")
        con.unregister("part_frame")
    path.chmod(0o644)
    return PartResult(path.name, len(frame), tuple(o.file_name for o in job.outputs), sha256(path),
                      path.stat().st_size)
