"""One extraction: from the warehouse to a project's IN, exactly what the specification grants.

Steps, and why in this order:
1. plan: every (register, months) file to write; refuse before any work if a month
   is missing from the warehouse;
2. pseudonyms: collect the distinct ids the files will hold (DuckDB), hash each new
   one once, extend the project's maps (mdp.extraction.pseudonym);
3. write the files, months in parallel worker processes (the Stata writer is
   single-threaded Python; filters and recodes run inside DuckDB, pseudonyms are
   looked up in the maps each worker loads once);
4. codebook and manifest; then everything moves into IN at once (mdp.staging):
   an interrupted extraction leaves IN as it was.
Files of an earlier delivery that this one no longer contains are removed; other
files in IN (put there by an admin) are left alone.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from mdp import dictionary
from mdp.errors import PlatformError
from mdp.extraction import codebook, pseudonym, recode
from mdp.extraction.spec import Spec, spec_json
from mdp.extraction.writer import PartJob, PartResult, write_part
from mdp.staging import Staging
from mdp.warehouse.schema import get_register, identifier_kind, is_identifier
from mdp.warehouse.store import Warehouse, show_month

MANIFEST = "manifest.json"
PERSON = "individual_IDnumber"


class ExtractionError(PlatformError):
    pass


@dataclass(frozen=True)
class Part:
    register: str
    months: tuple[int, ...]
    file: str


@dataclass
class Result:
    project: str
    in_dir: Path
    parts: list[tuple[Part, PartResult]] = field(default_factory=list)
    new_ids: dict = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return sum(r.rows for _, r in self.parts)


def plan(spec: Spec, warehouse: Warehouse) -> list[Part]:
    """The files to write; refuses if the warehouse lacks a month any of them needs."""
    needed = {r.name for r in spec.registers} | {c.register for c in spec.where}
    if spec.where:
        needed |= {link[0] for r in spec.registers if (link := person_link(r.name))}
    missing = {name: warehouse.missing(name, spec.months) for name in sorted(needed)}
    missing = {name: months for name, months in missing.items() if months}
    if missing:
        raise ExtractionError("the warehouse lacks months the specification needs: " + "; ".join(
            f"{name} {', '.join(show_month(m) for m in months[:6])}{' …' if len(months) > 6 else ''}"
            f" ({len(months)} month{'s' if len(months) > 1 else ''})" for name, months in missing.items()))
    ext = spec.format
    parts = []
    for reg in spec.registers:
        if reg.delivery == "single":
            parts.append(Part(reg.name, tuple(spec.months), f"{reg.name}_{spec.first}_{spec.last}.{ext}"))
        else:
            parts.extend(Part(reg.name, (m,), f"{reg.name}_{m}.{ext}") for m in spec.months)
    return parts


def _register_variables(name: str):
    return get_register(name).variables


def _files(warehouse: Warehouse, register: str, months) -> str:
    return "[" + ", ".join(f"'{warehouse.file(register, m)}'" for m in months) + "]"


def _scan(warehouse: Warehouse, register: str, months) -> str:
    return f"read_parquet({_files(warehouse, register, months)}, hive_partitioning = false)"


def person_link(register: str) -> tuple[str, str] | None:
    """For a register without persons (employers): the register and identifier that link it to persons.

    An employer belongs to the population of a month if one of its jobs that month
    is held by a person of the population: the first register of the dictionary
    holding both persons and the register's identifier (jobs) decides.
    """
    names = {v.name for v in _register_variables(register)}
    if PERSON in names:
        return None
    for other in dictionary.registers():
        other_names = {v.name for v in other.variables}
        if PERSON in other_names:
            for v in _register_variables(register):
                if v.identifier and v.name in other_names:
                    return other.name, v.name
    raise ExtractionError(f"register {register} has no {PERSON} and no register links it to persons: "
                          "it cannot be restricted to the specification's population")


def _population(spec: Spec, warehouse: Warehouse, months) -> str:
    """SQL: the (person, month) pairs that meet every population condition in `months`."""
    return " INTERSECT ".join(
        f'SELECT c."{PERSON}", c."reference_period" FROM {_scan(warehouse, cond.register, months)} AS c '
        f"WHERE {recode.condition_sql(cond.variable, cond.level, cond.values, alias='c')}"
        for cond in spec.where)


def _source(spec: Spec, warehouse: Warehouse, part: Part, population: str | None = None) -> str:
    """FROM of a part: its register's months, restricted to the population by semi joins.

    Semi joins on (person, month), not correlated EXISTS: DuckDB builds one hash
    table of the population and probes it (measured 2 to 3 times faster over two
    years of a million persons). `population`: SQL of it found already (default:
    found here, for the part's months).
    """
    source = f"FROM {_scan(warehouse, part.register, part.months)} AS t"
    if not spec.where:
        return source
    population = population or _population(spec, warehouse, part.months)
    link = person_link(part.register)
    if link is None:
        return (f"{source} SEMI JOIN ({population}) AS p "
                f'ON p."{PERSON}" = t."{PERSON}" AND p."reference_period" = t."reference_period"')
    register, identifier = link
    return (f'{source} SEMI JOIN (SELECT b."{identifier}", b."reference_period" '
            f"FROM {_scan(warehouse, register, part.months)} AS b SEMI JOIN ({population}) AS p "
            f'ON p."{PERSON}" = b."{PERSON}" AND p."reference_period" = b."reference_period") AS l '
            f'ON l."{identifier}" = t."{identifier}" AND l."reference_period" = t."reference_period"')


def outputs_for(spec: Spec, register: str) -> list[recode.Output]:
    """The delivered columns of a register: reference_period first, then the grants in dictionary order."""
    reg = spec.register(register)
    granted = {g.name: g for g in reg.grants}
    return [recode.output(v, granted[v.name].level if v.name in granted else None)
            for v in _register_variables(register) if v.name in granted or v.name == "reference_period"]


def _typed(out: recode.Output) -> str:
    """The SQL of a delivered column; texts from a code list leave DuckDB as an ENUM, which pandas receives
    as a category: no Python string per row (the importer let no other code into the warehouse)."""
    if out.kind == "string" and out.value_labels:
        codes = ", ".join("'" + str(code).replace("'", "''") + "'" for code, _ in out.value_labels)
        return f"CAST({out.sql} AS ENUM({codes}))"
    return out.sql


def _part_sql(spec: Spec, warehouse: Warehouse, part: Part) -> tuple[str, list, list]:
    """The SQL of one file, its outputs, and its identifier columns (column, kind), which still hold raw ids:
    the writer replaces them with pseudonyms and orders the rows (mdp.extraction.writer)."""
    outputs = outputs_for(spec, part.register)
    variables = {v.name: v for v in _register_variables(part.register)}
    selects = [f'{_typed(out)} AS "{out.file_name}"' for out in outputs]
    ids = [(out.file_name, identifier_kind(variables[out.name])) for out in outputs if out.kind == "id"]
    return f"SELECT {', '.join(selects)} {_source(spec, warehouse, part)}", outputs, ids


def part_job(spec: Spec, warehouse: Warehouse, part: Part, maps: dict, path: Path, title: str,
             threads: int) -> PartJob:
    """What a worker needs to write `part` to `path`: plain data, sent to another process."""
    sql, outputs, ids = _part_sql(spec, warehouse, part)
    label = f"{title}: {part.register} {show_month(part.months[0])}" + (
        f" to {show_month(part.months[-1])}" if len(part.months) > 1 else "")
    return PartJob(sql, str(path), spec.format, tuple(outputs), label,
                   tuple((kind, str(map_file)) for kind, map_file in sorted(maps.items())), tuple(ids), threads)


def _update_maps(con, spec: Spec, warehouse: Warehouse, slug: str) -> tuple[dict, dict]:
    """Extend the project's id maps with every id the delivery will hold.

    One scan per register over all the specification's months (not one per file):
    DuckDB then reads the month files in parallel; the population is found once.
    """
    population = None
    if spec.where:
        con.execute(f"CREATE OR REPLACE TEMP TABLE population AS {_population(spec, warehouse, spec.months)}")
        population = "SELECT * FROM population"
    sources: dict[str, list[str]] = {}
    for reg in spec.registers:
        whole = Part(reg.name, tuple(spec.months), "")
        granted = {g.name for g in reg.grants}
        for v in _register_variables(reg.name):
            if is_identifier(v) and v.name in granted:
                sources.setdefault(identifier_kind(v), []).append(
                    f'SELECT t."{v.name}" {_source(spec, warehouse, whole, population)}')
    maps, new = {}, {}
    for kind, selects in sorted(sources.items()):
        maps[kind], new[kind] = pseudonym.update_map(con, slug, kind, " UNION ALL ".join(selects))
    return maps, new


def _previous_files(in_dir: Path) -> list[str]:
    """The files of the delivery now in IN, from its manifest (to remove those the new one drops)."""
    try:
        manifest = json.loads((in_dir / MANIFEST).read_text())
        return [f["name"] for f in manifest["files"]] + list(manifest.get("documents", [])) + [MANIFEST]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def extract(slug: str, spec: Spec, in_dir: Path, *, title: str = "", warehouse: Warehouse | None = None,
            jobs: int | None = None, on_part=None, on_start=None) -> Result:
    """Deliver `spec` for project `slug` into `in_dir`, all at once. `on_part(part, result)` follows progress."""
    started = time.monotonic()
    warehouse = warehouse or Warehouse()
    in_dir = Path(in_dir)
    parts = plan(spec, warehouse)
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(parts)))
    threads = max(1, (os.cpu_count() or 1) // jobs)
    result = Result(slug, in_dir)
    with _workers(jobs) as pool:
        con = duckdb.connect()
        con.execute("SET enable_progress_bar = false")  # the CLI draws its own
        maps, result.new_ids = _update_maps(con, spec, warehouse, slug)
        con.close()
        if on_start:
            on_start(parts)
        with Staging(in_dir) as staging:
            work = [(part, part_job(spec, warehouse, part, maps, staging.path / part.file, title or slug, threads))
                    for part in parts]
            for part, done in _written(work, pool):
                result.parts.append((part, done))
                if on_part:
                    on_part(part, done)
            result.parts.sort(key=lambda pr: pr[0].file)
            documents = codebook.write(staging.path, slug, title, spec, result.parts,
                                       {r.name: outputs_for(spec, r.name) for r in spec.registers})
            manifest = {
                "project": slug, "specification_sha256": hashlib.sha256(spec_json(spec).encode()).hexdigest(),
                "specification": spec.to_dict(), "format": spec.format, "documents": documents,
                "files": [{"name": r.file, "register": p.register, "months": list(p.months), "rows": r.rows,
                           "variables": list(r.variables), "bytes": r.bytes, "sha256": r.sha256}
                          for p, r in result.parts],
            }
            (staging.path / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
            for name in documents + [MANIFEST]:
                (staging.path / name).chmod(0o644)
            staging.commit([r.file for _, r in result.parts] + documents + [MANIFEST], _previous_files(in_dir))
    result.seconds = time.monotonic() - started
    return result


def _workers(jobs: int):
    """The worker processes (none for one job), started first so they import while the ids are hashed.

    spawn, not fork: the parent has DuckDB threads and Django state a forked child must not inherit.
    """
    if jobs == 1:
        return contextlib.nullcontext()
    return ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"), initializer=_warm_up)


def _warm_up() -> None:
    import mdp.extraction.writer  # noqa: F401  (pandas and DuckDB: the slow imports, done while ids are hashed)


def _written(work: list, pool):
    """Yield (part, result) as files are written: in this process, or by the workers."""
    if pool is None:
        for part, job in work:
            yield part, write_part(job)
        return
    futures = {pool.submit(write_part, job): part for part, job in work}
    for future in as_completed(futures):
        yield futures[future], future.result()
