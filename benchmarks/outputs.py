"""Submit-to-verdict time of the automated output checks, side by side with ACRO's own checks.

A request of 50 files is made in a throw-away OUT folder: 40 frequency tables
(CSV, 4 to 10,000 cells, some cells under the threshold), 8 PNG images, and
one ACRO output folder (its table and its results.json). Timed, median of 5 runs:

  A. the platform: for every file, intake (safe open, copy into the checking
     store while hashing, type sniffing, row and identifier checks), ACRO
     metadata lookup, and the automated disclosure checks — what happens
     between pressing "Add file" and seeing the findings;
  B. ACRO: `acro.crosstab` on the microdata behind each of the 40 tables, which
     is how ACRO checks a table (it cannot read a finished table); its time
     therefore includes building the table from the records.

Prints both medians and the ratio. Needs the test extra (acro, pandas).

    .venv/bin/python benchmarks/outputs.py [--runs 5]
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import struct
import sys
import tempfile
import time
import zlib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ["MDP_STATE_DIR"] = tempfile.mkdtemp(prefix="mdp-bench-outputs-")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from mdp.outputs import checks, intake, rules  # noqa: E402

SHAPES = [(2, 2), (5, 4), (10, 10), (20, 25), (40, 50), (50, 100), (100, 100), (8, 12)] * 5  # 40 tables


def microdata(rows: int, cols: int, seed: int) -> pd.DataFrame:
    """Records whose crosstab has rows × cols cells, about 30 records a cell, a few cells sparse."""
    rng = np.random.default_rng(seed)
    n = rows * cols * 30
    weights = rng.uniform(0.3, 1.0, rows)
    return pd.DataFrame({"region": rng.choice([f"r{i:03d}" for i in range(rows)], n, p=weights / weights.sum()),
                         "sector": rng.choice([f"s{j:03d}" for j in range(cols)], n)})


def png(width: int, height: int, seed: int) -> bytes:
    """A small grey-level PNG, written by hand (no imaging library needed)."""
    rng = np.random.default_rng(seed)
    raw = b"".join(b"\x00" + rng.integers(0, 255, width, dtype=np.uint8).tobytes() for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def quiet_acro():
    from acro import ACRO

    logging.disable(logging.INFO)  # ACRO logs every table it makes
    return ACRO(suppress=False)


def make_request(out: Path, datasets: list[pd.DataFrame]) -> list[str]:
    """The 50 files of the request, as relative paths under OUT."""
    names = []
    for i, df in enumerate(datasets):
        pd.crosstab(df.region, df.sector).to_csv(out / f"table_{i:02d}.csv")
        names.append(f"table_{i:02d}.csv")
    for i in range(8):
        (out / f"figure_{i}.png").write_bytes(png(400, 300, i))
        names.append(f"figure_{i}.png")
    session = quiet_acro()
    session.crosstab(datasets[2].region, datasets[2].sector)
    session.finalise(str(out / "acro"), "json")
    names += ["acro/output_0_0.csv", "acro/results.json"]
    return names


def platform_checks(out: Path, names: list[str]) -> tuple[float, int]:
    sdc = rules.get()
    start = time.perf_counter()
    flagged = 0
    for name in names:
        snap = intake.take(out, name, sdc)
        acro = checks.find_acro(out, snap.relpath) if snap.kind.is_table else None
        flagged += sum(f.severity == "fail" for f in checks.run(snap.path, snap.kind, snap.sha256, sdc, acro))
    return time.perf_counter() - start, flagged


def acro_checks(datasets: list[pd.DataFrame]) -> float:
    session = quiet_acro()
    start = time.perf_counter()
    for df in datasets:
        session.crosstab(df.region, df.sector)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    datasets = [microdata(r, c, seed) for seed, (r, c) in enumerate(SHAPES)]
    with tempfile.TemporaryDirectory(prefix="mdp-bench-out-") as tmp:
        out = Path(tmp)
        names = make_request(out, datasets)
        cells = sum(r * c for r, c in SHAPES)
        print(f"request: {len(names)} files ({len(SHAPES)} tables, {cells:,} cells in all, largest 10,000; "
              f"8 PNG images; one ACRO table with its results.json); median of {args.runs} runs")
        ours, flagged = zip(*(platform_checks(out, names) for _ in range(args.runs)))
        theirs = [acro_checks(datasets) for _ in range(args.runs)]
    a, b = statistics.median(ours), statistics.median(theirs)
    print(f"  platform: intake + automated checks, 50 files      {a * 1000:9.1f} ms  ({flagged[0]} failing findings)")
    print(f"  ACRO:     crosstab + checks, the 40 tables          {b * 1000:9.1f} ms")
    print(f"  ratio platform / ACRO: {a / b:.4f} (ACRO takes {b / a:.0f} times as long)")
    print("  (ACRO's time includes aggregating the records into each table; the platform checks finished files,"
          " and also copies, hashes and sniffs them)")


if __name__ == "__main__":
    main()
