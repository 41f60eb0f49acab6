"""Per-project pseudonyms: keyed HMAC-SHA256, then dense whole numbers that fit a Stata long.

Why both steps: the HMAC with a secret of the project's own makes the ids of two
projects unlinkable, and unguessable without the secret, which stays in the control
plane's state directory (never in IN, WORK, OUT or a desk). Numbering the ids 1, 2,
3 … in the order of their digests then gives researchers small integers that Stata
stores exactly (`long`), and that order says nothing about the raw ids.

The map raw id -> pseudonym is kept per project and kind of id, and only grows: the
same person has the same number in every file, month and later delivery of the
project. Each distinct raw id is hashed once, the first time the project needs it.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from mdp import settings
from mdp.errors import PlatformError

STATA_LONG_MAX = 2_147_483_620


def project_dir(slug: str) -> Path:
    return settings.get().extraction_state_dir / slug


def project_secret(slug: str) -> bytes:
    """The project's 32-byte key, created on first use (readable by the platform's user only)."""
    folder = project_dir(slug)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / "secret.key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes()
    with os.fdopen(fd, "wb") as fh:
        fh.write(secrets.token_bytes(32))
        fh.flush()
        os.fsync(fh.fileno())
    return path.read_bytes()


def map_path(slug: str, kind: str) -> Path:
    return project_dir(slug) / "ids" / f"{kind}.parquet"


def hmac_sql(secret: bytes, kind: str, column: str) -> tuple[str, list]:
    """SQL for the hex HMAC-SHA256 of `kind:<id>` for each id in `column`, and its parameters.

    HMAC from its definition (RFC 2104): SHA-256(K xor opad || SHA-256(K xor ipad || message)),
    computed by DuckDB, vectorised on all cores, so no digest passes through Python. The
    kind prefix keeps a person and an employer with the same raw id apart. Lower-case hex
    sorts as the digest bytes do.
    """
    key = secret if len(secret) <= 64 else hashlib.sha256(secret).digest()
    key = key.ljust(64, b"\0")
    inner_key, outer_key = bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)
    sql = (f"sha256(?::BLOB || unhex(sha256(?::BLOB || encode(? || CAST({column} AS VARCHAR)))))")
    return sql, [outer_key, inner_key, f"{kind}:"]


def update_map(con: duckdb.DuckDBPyConnection, slug: str, kind: str, raw_ids_sql: str) -> tuple[Path, int]:
    """Give every id that `raw_ids_sql` returns a pseudonym; returns the map's path and how many ids were new.

    New ids are numbered after the existing ones, in the order of their digests.
    """
    path = map_path(slug, kind)
    existing = (f"read_parquet('{path}')" if path.exists()
                else "(SELECT CAST(NULL AS BIGINT) AS raw, CAST(NULL AS INTEGER) AS pid WHERE false)")
    con.execute(f"CREATE OR REPLACE TEMP TABLE fresh_raw AS SELECT DISTINCT s.raw FROM ({raw_ids_sql}) AS s(raw) "
                f"ANTI JOIN {existing} AS e ON s.raw = e.raw WHERE s.raw IS NOT NULL")
    count = con.execute("SELECT count(*) FROM fresh_raw").fetchone()[0]
    if count == 0:
        return path, 0
    start = (con.execute(f"SELECT max(pid) FROM {existing}").fetchone()[0] or 0) + 1
    if start + count - 1 > STATA_LONG_MAX:
        raise PlatformError(f"project {slug}: more than {STATA_LONG_MAX} ids of kind {kind}; "
                            "they no longer fit a Stata long")
    digest, params = hmac_sql(project_secret(slug), kind, "raw")
    # Sorted by DuckDB on all cores; numbered here (a window over the sort would run on one core).
    raw = con.execute(f"SELECT CAST(raw AS BIGINT) AS raw FROM fresh_raw ORDER BY {digest}", params).fetchnumpy()["raw"]
    con.register("fresh_ids", pd.DataFrame({"raw": raw, "pid": np.arange(start, start + count, dtype="int32")}))
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(".tmp")
    con.execute(f"COPY (SELECT * FROM {existing} UNION ALL SELECT * FROM fresh_ids ORDER BY pid) "
                f"TO '{tmp}' (FORMAT PARQUET)")
    con.execute("DROP TABLE fresh_raw")
    con.unregister("fresh_ids")
    os.replace(tmp, path)
    return path, count
