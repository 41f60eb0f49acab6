"""Benchmark: extracting a project to .dta, ours against a straightforward pipeline and against the writer alone.

    .venv/bin/python benchmarks/extract.py --persons 1000000 --months 24     # the issue's size
    .venv/bin/python benchmarks/extract.py --persons 20000 --months 6        # while developing

On a synthetic warehouse (made once per size in --workdir and kept), one project with
three registers and fifteen variables, monthly .dta files, measured side by side:

(a) ours: `mdp.extraction.run.extract` from a fresh project (so it hashes every id);
(b) naive: load each register whole with pandas, recode with pandas, pseudonymise with
    hmac per row, write each month with DataFrame.to_stata;
(c) floor: the .dta writer alone on the already-final frames, one process (frames are
    prepared untimed, one at a time).

Each runs in its own process (--repeat N: ours and the floor N times, alternately,
reporting medians: a shared machine's noise moves single runs by 10 %); peak memory is the largest resident size of that
process and its workers together, sampled every 0.1 s. Also prints the two .dta
writers (pandas, pyreadstat) on the same frame: the measurement behind the choice.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

SPEC = {
    "version": 1, "format": "dta",
    "registers": {
        "individuals": {"variables": {"individual_IDnumber": {}, "i_gender": {}, "i_age": {}, "i_civil_status": {},
                                      "i_residence_country": {}, "i_citizenship": {}}},
        "jobs": {"variables": {"job_IDnumber": {}, "individual_IDnumber": {}, "employer_IDnumber": {},
                               "j_contract_type": {}, "j_job_status": {}, "j_job_start_date": {}}},
        "social_benefits": {"variables": {"individual_IDnumber": {}, "i_F_family_allowance_right": {},
                                          "i_family_allowance": {}}},
    },
}


class PeakMemory:
    """The largest total resident memory of this process and its descendants, sampled in a thread."""

    def __init__(self):
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _tree(pid: int) -> list[int]:
        pids, todo = [], [pid]
        while todo:
            p = todo.pop()
            pids.append(p)
            try:
                for task in os.listdir(f"/proc/{p}/task"):
                    todo += [int(c) for c in open(f"/proc/{p}/task/{task}/children").read().split()]
            except OSError:
                pass
        return pids

    @staticmethod
    def _rss(pid: int) -> int:
        try:
            for line in open(f"/proc/{pid}/status"):
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0

    def _run(self):
        while not self._stop.wait(0.1):
            self.peak = max(self.peak, sum(self._rss(p) for p in self._tree(os.getpid())))

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def _spec(first: int, last: int):
    from mdp.extraction.spec import validate
    from mdp.warehouse.store import show_month

    return validate({**SPEC, "period": {"first": show_month(first), "last": show_month(last)}})


def ours(args, out: Path) -> int:
    from mdp.extraction import pseudonym, run
    from mdp.warehouse.store import Warehouse

    shutil.rmtree(pseudonym.project_dir("bench"), ignore_errors=True)  # a fresh project: every id is hashed
    result = run.extract("bench", _spec(args.first, args.last), out, warehouse=Warehouse(args.warehouse),
                         jobs=args.jobs or None)
    return result.rows


def naive(args, out: Path) -> int:
    """What one would write first: whole registers in pandas, hmac per row, to_stata per month."""
    import hashlib
    import hmac

    import duckdb
    import pandas as pd

    from mdp.extraction import recode
    from mdp.warehouse.schema import get_register

    key, rows = os.urandom(32), 0
    out.mkdir(parents=True, exist_ok=True)
    maps = {}
    for register, body in SPEC["registers"].items():
        names = ["reference_period", *body["variables"]]
        frame = duckdb.sql(f"SELECT {', '.join(chr(34) + n + chr(34) for n in names)} FROM read_parquet("
                           f"'{args.warehouse}/{register}/*/*.parquet', hive_partitioning = false) "
                           f"WHERE reference_period BETWEEN {args.first} AND {args.last}").df()
        reg = get_register(register)
        for name in body["variables"]:
            v = reg.variable(name)
            if name.endswith("_IDnumber"):
                kind = "person" if "individual" in name else name
                digests = frame[name].map(lambda x: hmac.new(key, f"{kind}:{x}".encode(), hashlib.sha256).hexdigest())
                known = maps.setdefault(kind, {})
                for d in sorted(set(digests) - set(known)):
                    known[d] = len(known) + 1
                frame[name] = digests.map(known).astype("int32")
            elif name == "i_age":
                frame[name] = pd.cut(frame[name], [-1, 19, 24, 29, 34, 39, 44, 49, 54, 59, 200], labels=False)
            elif name == "i_citizenship":
                groups = {"LU": 0, "DE": 1, "BE": 2, "FR": 3, "PT": 4}
                frame[name] = frame[name].map(lambda c: groups.get(c, 5 if c in recode.OTHER_EU27 else 6))
            elif v.format == "date":
                frame[name] = frame[name].dt.year * 100 + frame[name].dt.month
        labels = {n: {int(k): t for k, t in reg.variable(n).values.items()} for n in body["variables"]
                  if reg.variable(n).values and all(k.isdigit() for k in reg.variable(n).values)}
        for month, part in frame.groupby("reference_period"):
            part.to_stata(out / f"{register}_{month}.dta", version=118, write_index=False, value_labels=labels)
            rows += len(part)
        del frame
    return rows


def _final_frames(args, first: int, last: int):
    """(file name, outputs, final frame) of each file of the extraction, as ours makes them."""
    import duckdb

    from mdp.extraction import run
    from mdp.extraction.writer import final_frame
    from mdp.warehouse.store import Warehouse

    spec, warehouse = _spec(first, last), Warehouse(args.warehouse)
    maps, _ = run._update_maps(duckdb.connect(), spec, warehouse, "bench")
    for part in run.plan(spec, warehouse):
        job = run.part_job(spec, warehouse, part, maps, Path(part.file), "bench", os.cpu_count())
        yield part.file, job.outputs, final_frame(job)


def floor(args, out: Path) -> tuple[int, float]:
    """The writer alone: frames made final first (untimed), then only the writing is timed."""
    from mdp.extraction.writer import write_dta

    out.mkdir(parents=True, exist_ok=True)
    rows, seconds = 0, 0.0
    for name, outputs, frame in _final_frames(args, args.first, args.last):
        started = time.perf_counter()
        write_dta(frame, out / name, outputs, name)
        seconds += time.perf_counter() - started
        rows += len(frame)
    return rows, seconds


def writers(args) -> dict:
    """pandas' to_stata against pyreadstat's write_dta on one month of individuals."""
    import pyreadstat

    from mdp.extraction.writer import _stata_frame

    _, outputs, frame = next(_final_frames(args, args.first, args.first))
    frame = _stata_frame(frame, outputs)
    labels = {o.file_name: dict(o.value_labels) for o in outputs if o.kind == "code"}
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        frame.to_stata(f"{tmp}/a.dta", version=118, write_index=False, value_labels=labels)
        pandas_s = time.perf_counter() - t
        t = time.perf_counter()
        pyreadstat.write_dta(frame, f"{tmp}/b.dta", variable_value_labels=labels)
        pyreadstat_s = time.perf_counter() - t
    return {"rows": len(frame), "columns": frame.shape[1], "pandas": pandas_s, "pyreadstat": pyreadstat_s}


def child(args) -> None:
    out = Path(args.workdir) / f"out-{args.approach}"
    shutil.rmtree(out, ignore_errors=True)
    import mdp.extraction.run  # noqa: F401  (pandas, DuckDB, Django: imported before any clock starts)

    with PeakMemory() as mem:
        started = time.perf_counter()
        if args.approach == "writers":
            print(json.dumps(writers(args)))
            return
        if args.approach == "floor":
            rows, seconds = floor(args, out)
        else:
            rows = {"ours": ours, "naive": naive}[args.approach](args, out)
            seconds = time.perf_counter() - started
    print(json.dumps({"rows": rows, "seconds": seconds, "peak": mem.peak}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--jobs", type=int, default=0, help="worker processes for ours (default: CPU cores)")
    parser.add_argument("--workdir", default=str(Path(tempfile.gettempdir()) / "mdp-bench-extract"))
    parser.add_argument("--skip-naive", action="store_true", help="the naive pipeline needs several GB at 1M x 24")
    parser.add_argument("--repeat", type=int, default=1,
                        help="measure ours and the floor this many times, alternately, and report the medians")
    parser.add_argument("--approach", help=argparse.SUPPRESS)
    parser.add_argument("--warehouse", help=argparse.SUPPRESS)
    parser.add_argument("--first", type=int, default=201501, help=argparse.SUPPRESS)
    parser.add_argument("--last", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.approach:
        return child(args)

    from mdp.warehouse import synth
    from mdp.warehouse.store import month_range

    last = month_range(args.first, 299912)[args.months - 1]
    work = Path(args.workdir)
    warehouse = work / f"warehouse-{args.persons}-{args.first}-{last}"
    env = {**os.environ, "MDP_STATE_DIR": str(work / "state")}
    if not (warehouse / ".complete").exists():
        started = time.perf_counter()
        rows = synth.generate(args.persons, args.first, last, seed=2002, root=warehouse)
        (warehouse / ".complete").write_text(json.dumps(rows))
        print(f"synthetic warehouse: {args.persons:,} persons x {args.months} months, "
              f"{sum(rows.values()):,} rows in {time.perf_counter() - started:.1f} s")
    common = ["--workdir", str(work), "--warehouse", str(warehouse), "--first", str(args.first), "--last", str(last),
              "--jobs", str(args.jobs)]

    def measure(approach: str) -> dict:
        proc = subprocess.run([sys.executable, __file__, "--approach", approach, *common], env=env,
                              capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit(f"{approach} failed:\n{proc.stderr[-3000:]}")
        return json.loads(proc.stdout.strip().splitlines()[-1])

    w = measure("writers")
    print(f"writers on {w['rows']:,} rows x {w['columns']} columns: pandas to_stata {w['pandas']:.2f} s, "
          f"pyreadstat write_dta {w['pyreadstat']:.2f} s ({w['pyreadstat'] / w['pandas']:.1f}x)")
    rounds = [{name: measure(name) for name in ("ours", "floor")} for _ in range(args.repeat)]
    results = {name: _median([r[name] for r in rounds]) for name in ("ours", "floor")}
    if not args.skip_naive:
        results["naive"] = measure("naive")
    print(f"\n{'approach':8} {'seconds':>9} {'rows':>13} {'rows/s':>12} {'peak MB':>9}"
          + ("   (median of %d runs)" % args.repeat if args.repeat > 1 else ""))
    for name, r in results.items():
        print(f"{name:8} {r['seconds']:9.1f} {r['rows']:13,} {r['rows'] / r['seconds']:12,.0f} {r['peak'] / 2**20:9.0f}")
    ours_s = results["ours"]["seconds"]
    print(f"\nours/floor = {ours_s / results['floor']['seconds']:.2f} (target <= 1.2; ours uses "
          f"{args.jobs or os.cpu_count()} worker(s), the floor one process)")
    if args.repeat > 1:
        print("  each run: " + ", ".join(f"{r['ours']['seconds'] / r['floor']['seconds']:.2f}" for r in rounds))
    if "naive" in results:
        print(f"naive/ours = {results['naive']['seconds'] / ours_s:.2f} (target >= 3)")


def _median(runs: list[dict]) -> dict:
    """The run of median time (its rows and peak memory with it)."""
    return sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]

if __name__ == "__main__":
    main()
