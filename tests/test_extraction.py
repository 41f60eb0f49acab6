"""The warehouse and the need-to-know extraction, on a tiny synthetic warehouse (no containers)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pyreadstat
import pytest

from mdp import dictionary, settings
from mdp.extraction import pseudonym, recode, run, writer
from mdp.extraction.spec import SpecError, check_within, validate
from mdp.staging import Staging, recover
from mdp.warehouse import importer, synth
from mdp.warehouse.schema import get_register
from mdp.warehouse.store import Warehouse

MDP = str(Path(sys.executable).with_name("mdp"))
MONTHS = (201501, 201504)

SPEC = {
    "version": 1,
    "period": {"first": "2015-02", "last": "2015-03"},
    "population": {"description": "Cross-border workers", "where": [
        {"register": "individuals", "variable": "i_residence_country", "in": ["FR", "BE", "DE"]}]},
    "format": "dta",
    "registers": {
        "individuals": {"variables": {"individual_IDnumber": {}, "i_gender": {}, "i_age": {},
                                      "i_citizenship": {"level": "grouped"}, "i_location_residence": {}}},
        "jobs": {"variables": {"job_IDnumber": {}, "individual_IDnumber": {}, "employer_IDnumber": {},
                               "j_contract_type": {}, "j_job_start_date": {"level": "day"}}},
    },
}


@pytest.fixture(scope="module")
def wh(tmp_path_factory) -> Warehouse:
    root = tmp_path_factory.mktemp("wh") / "warehouse"
    synth.generate(300, *MONTHS, seed=7, root=root)
    return Warehouse(root)


def deliver(wh, slug, raw, in_dir, jobs=1):
    return run.extract(slug, validate(raw), in_dir, warehouse=wh, jobs=jobs)


def variable(register, name):
    return get_register(register).variable(name)


def sql_value(variable_, level, value, sql_type: str):
    """The recode of `variable_` to `level`, run by DuckDB on one stored value."""
    expr = recode.output(variable_, level).sql
    return duckdb.execute(f'SELECT {expr} FROM (SELECT CAST(? AS {sql_type}) AS "{variable_.name}") AS t',
                          [value]).fetchone()[0]


# --- recodes ---------------------------------------------------------------------------------------------------------

def _band_holds(label: str, age: int) -> bool:
    if label.startswith("less than"):
        return age < int(label.split()[2])
    if label.endswith("and more"):
        return age >= int(label.split()[0])
    low, high = label.split()[0].split("-")
    return int(low) <= age <= int(high)


def test_age_bands_match_the_dictionary_labels():
    age = variable("individuals", "i_age")
    for years in range(0, 101):
        code = sql_value(age, "five_year_bands", years, "SMALLINT")
        assert _band_holds(age.values[str(code)], years), (years, code, age.values[str(code)])


@pytest.mark.parametrize("iso, label", [("LU", "Luxembourg"), ("DE", "Germany"), ("BE", "Belgium"), ("FR", "France"),
                                        ("PT", "Portugal"), ("IT", "Other EU-27"), ("US", "Other"), ("CV", "Other")])
def test_grouped_citizenship_matches_the_dictionary_labels(iso, label):
    citizenship = variable("individuals", "i_citizenship")
    code = sql_value(citizenship, "grouped", iso, "VARCHAR")
    assert citizenship.values[str(code)] == label


def test_dates_and_places_are_coarsened():
    start = variable("jobs", "j_job_start_date")
    assert sql_value(start, "month", "2015-09-17", "DATE") == 201509
    assert sql_value(start, "year", "2015-09-17", "DATE") == 2015
    place = variable("individuals", "i_location_residence")
    assert sql_value(place, "canton", "LU:Esch-sur-Alzette:Differdange", "VARCHAR") == "LU:Esch-sur-Alzette"
    assert sql_value(place, "canton", "FR:Moselle", "VARCHAR") == "FR:Moselle"


def test_pseudonym_digests_are_hmac_sha256():
    import hmac

    con = duckdb.connect()
    for secret in (b"k" * 32, b"short", b"x" * 100):
        digest, params = pseudonym.hmac_sql(secret, "person", "raw")
        got = con.execute(f"SELECT {digest} FROM (VALUES (7), (1000000001)) AS t(raw)", params).fetchall()
        assert [bytes.fromhex(d) for d, in got] == [hmac.digest(secret, f"person:{r}".encode(), "sha256")
                                                    for r in (7, 1000000001)]


def test_rows_are_ordered_by_their_values_whatever_order_the_warehouse_gave():
    rows = pd.DataFrame({"reference_period": [201502, 201501, 201501, 201501, 201501],
                         "person": pd.array([2, None, 2, 1, 2], dtype="Int32"),
                         "benefit": ["b", "a", "a", "c", "b"]})
    orders = [writer._in_order(rows.sample(frac=1, random_state=seed), "reference_period", ["person"])
              for seed in range(6)]
    for ordered in orders:
        pd.testing.assert_frame_equal(ordered, orders[0])
    # period, then pseudonym (a missing one first), then the other columns where those tie
    assert list(orders[0].itertuples(index=False, name=None))[1:] == [
        (201501, 1, "c"), (201501, 2, "a"), (201501, 2, "b"), (201502, 2, "b")]
    assert pd.isna(orders[0].person.iloc[0])
    unique = rows.drop_duplicates(["reference_period", "person"])
    assert list(writer._in_order(unique, "reference_period", ["person"]).benefit) == ["a", "c", "a", "b"]
    # one month: each row to the slot of its pseudonym, or every column where pseudonyms repeat
    month = rows[rows.reference_period == 201501]
    assert list(writer._in_order(month.drop_duplicates("person"), "reference_period", ["person"]).benefit) == [
        "a", "c", "a"]
    assert list(writer._in_order(month.iloc[::-1], "reference_period", ["person"]).benefit) == ["a", "c", "a", "b"]


def test_an_id_missing_from_the_map_stops_the_file():
    ids = writer.IdMap(pd.Series([10, 20, 30]).to_numpy(), pd.Series([3, 1, 2]).to_numpy())
    assert list(ids.pseudonyms(pd.Series([30, None, 10]), "x")) == [2, pd.NA, 3]
    with pytest.raises(RuntimeError, match="column x: ids missing from the project's id map"):
        ids.pseudonyms(pd.Series([10, 40]), "x")


# --- what is delivered -----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def delivered(wh, tmp_path_factory):
    in_dir = tmp_path_factory.mktemp("alpha") / "IN"
    result = deliver(wh, "alpha", SPEC, in_dir)
    return in_dir, result


def test_only_granted_variables_months_and_population(wh, delivered):
    in_dir, _ = delivered
    files = sorted(p.name for p in in_dir.iterdir())
    assert files == ["codebook.html", "codebook.xml", "individuals_201502.dta", "individuals_201503.dta",
                     "jobs_201502.dta", "jobs_201503.dta", "manifest.json"]
    frame, meta = pyreadstat.read_dta(str(in_dir / "individuals_201502.dta"))
    assert meta.column_names == ["reference_period", "individual_IDnumber", "i_gender", "i_age", "i_location_residence",
                                 "i_citizenship"]
    assert set(frame.reference_period) == {201502}
    # the population: exactly the persons living in FR, BE or DE that month
    cross_border = duckdb.sql(f"SELECT count(*) FROM read_parquet('{wh.file('individuals', 201502)}') "
                              "WHERE i_residence_country IN ('FR', 'BE', 'DE')").fetchone()[0]
    assert len(frame) == cross_border > 0
    assert not frame.i_location_residence.str.startswith("LU:").any()
    # coded values are the dictionary's codes at the granted level
    for register in ("individuals", "jobs"):
        frame, meta = pyreadstat.read_dta(str(in_dir / f"{register}_201503.dta"))
        for name, labels in meta.variable_value_labels.items():
            codes = set(variable(register, name.replace("j_blue_collar", "j_blue-collar")).values)
            assert {str(int(v)) for v in frame[name].dropna()} <= codes
            assert {str(k) for k in labels} == codes


def test_employers_are_those_of_the_populations_jobs(wh, tmp_path):
    spec = {**SPEC, "registers": {"employers": {"variables": {"employer_IDnumber": {}, "e_NACE_sector": {},
                                                              "e_nb_employees": {}}}}}
    deliver(wh, "gamma", spec, tmp_path / "IN")
    frame, meta = pyreadstat.read_dta(str(tmp_path / "IN" / "employers_201502.dta"))
    month = {r: f"read_parquet('{wh.file(r, 201502)}', hive_partitioning = false)" for r in ("jobs", "individuals")}
    expected = duckdb.sql(f"SELECT count(DISTINCT j.employer_IDnumber) FROM {month['jobs']} j JOIN {month['individuals']} i "
                          "USING (individual_IDnumber) WHERE i.i_residence_country IN ('FR', 'BE', 'DE')").fetchone()[0]
    assert len(frame) == expected > 0
    assert set(frame.e_NACE_sector) <= set(get_register("employers").variable("e_NACE_sector").values)


def test_value_and_variable_labels_read_back(delivered):
    in_dir, _ = delivered
    frame, meta = pyreadstat.read_dta(str(in_dir / "individuals_201503.dta"))
    assert meta.variable_value_labels["i_gender"] == {1: "Man", 2: "Woman"}
    assert meta.variable_value_labels["i_age"][9] == "60 years and more"
    labels = dict(zip(meta.column_names, meta.column_labels))
    assert labels["i_age"] == "Age at the end of the month (five_year_bands)"
    assert frame.individual_IDnumber.max() < 2**31 and frame.individual_IDnumber.min() >= 1
    jobs, _ = pyreadstat.read_dta(str(in_dir / "jobs_201503.dta"))
    assert str(jobs.j_job_start_date.iloc[0].__class__.__name__) in ("date", "Timestamp", "datetime")


def test_manifest_and_codebook_describe_the_files(delivered):
    in_dir, result = delivered
    manifest = json.loads((in_dir / "manifest.json").read_text())
    listed = {f["name"]: f for f in manifest["files"]}
    assert set(listed) == {r.file for _, r in result.parts}
    for name, entry in listed.items():
        assert entry["sha256"] == writer.sha256(in_dir / name)
        assert entry["rows"] == pyreadstat.read_dta(str(in_dir / name), metadataonly=True)[1].number_rows
    assert "i_citizenship" in (in_dir / "codebook.html").read_text()
    assert "<catgry>" in (in_dir / "codebook.xml").read_text()


def test_ids_are_consistent_within_a_project_and_unlinkable_between_projects(wh, delivered, tmp_path):
    in_dir, _ = delivered
    people = {m: pd.read_stata(in_dir / f"individuals_{m}.dta") for m in (201502, 201503)}
    jobs = pd.read_stata(in_dir / "jobs_201503.dta")
    assert set(jobs.individual_IDnumber) <= set(people[201503].individual_IDnumber)
    # the same raw person has the same pseudonym in both months
    person_map = duckdb.sql(f"SELECT raw, pid FROM read_parquet('{pseudonym.map_path('alpha', 'person')}')").df()
    lookup = dict(zip(person_map.raw, person_map.pid))
    for month, frame in people.items():
        raw = duckdb.sql(f"SELECT individual_IDnumber FROM read_parquet('{wh.file('individuals', month)}') "
                         "WHERE i_residence_country IN ('FR', 'BE', 'DE')").df().individual_IDnumber
        assert set(frame.individual_IDnumber) == {lookup[r] for r in raw}
    assert sorted(person_map.pid) == list(range(1, len(person_map) + 1))  # dense
    # another project: same persons, other numbers
    deliver(wh, "beta", SPEC, tmp_path / "IN")
    other = duckdb.sql(f"SELECT raw, pid FROM read_parquet('{pseudonym.map_path('beta', 'person')}')").df()
    same = sum(lookup[r] == p for r, p in zip(other.raw, other.pid))
    assert set(other.raw) == set(person_map.raw) and same < 0.05 * len(other)
    assert pseudonym.project_secret("alpha") != pseudonym.project_secret("beta")
    assert not pseudonym.project_dir("alpha").is_relative_to(settings.get().data_root)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_parquet_and_csv_deliveries_hold_the_same_rows_as_stata(wh, delivered, tmp_path, fmt):
    in_dir, _ = delivered
    deliver(wh, "alpha", {**SPEC, "format": fmt}, tmp_path / "IN")  # same project: same pseudonyms
    for name in ("individuals_201503", "jobs_201502"):
        stata = pd.read_stata(in_dir / f"{name}.dta", convert_categoricals=False)
        got = duckdb.sql(f"SELECT * FROM '{tmp_path / 'IN' / f'{name}.{fmt}'}'").df()
        assert list(got.columns) == list(stata.columns) and len(got) == len(stata) > 0
        for column in stata.columns:
            if column == "j_job_start_date":  # a date, not a time stamp
                assert duckdb.sql(f"SELECT typeof(j_job_start_date) FROM '{tmp_path / 'IN' / f'{name}.{fmt}'}' "
                                  "LIMIT 1").fetchone()[0] == "DATE"
                assert list(pd.to_datetime(got[column])) == list(stata[column])
            else:
                assert list(got[column].astype(str)) == list(stata[column].astype(str)), column


def test_same_spec_gives_identical_files_and_dropped_files_go(wh, delivered):
    in_dir, _ = delivered
    before = (in_dir / "manifest.json").read_text()
    (in_dir / "admin-note.txt").write_text("put here by an admin\n")
    deliver(wh, "alpha", SPEC, in_dir, jobs=2)
    assert (in_dir / "manifest.json").read_text() == before
    narrower = {**SPEC, "registers": {"jobs": SPEC["registers"]["jobs"]}}
    deliver(wh, "alpha", narrower, in_dir)
    assert not list(in_dir.glob("individuals_*")) and (in_dir / "admin-note.txt").exists()
    deliver(wh, "alpha", SPEC, in_dir)
    assert (in_dir / "manifest.json").read_text() == before


KILL_MIDWAY = """
import os, signal, sys
from pathlib import Path
from mdp.extraction import run, spec
from mdp.warehouse.store import Warehouse
written = []
def write_part(job):
    if written:  # second file: leave it half-written, then die as a killed process does
        Path(job.path).write_bytes(b"half a file")
        os.kill(os.getpid(), signal.SIGKILL)
    written.append(job.path)
    return real(job)
real, run.write_part = run.write_part, write_part
run.extract("alpha", spec.validate(__import__("json").loads(sys.argv[1])), Path(sys.argv[2]),
            warehouse=Warehouse(sys.argv[3]), jobs=1)
"""


def test_an_interrupted_extraction_leaves_in_as_it_was(wh, delivered):
    in_dir, _ = delivered
    before = {p.name: p.read_bytes() for p in in_dir.iterdir()}
    wider = {**SPEC, "period": {"first": "2015-01", "last": "2015-04"}}
    proc = subprocess.run([sys.executable, "-c", KILL_MIDWAY, json.dumps(wider), str(in_dir), str(wh.root)],
                          env=os.environ, capture_output=True, text=True)
    assert proc.returncode == -9, proc.stderr
    assert {p.name: p.read_bytes() for p in in_dir.iterdir()} == before
    staging = in_dir.parent / ".IN.staging"
    assert staging.is_dir() and "half a file" in {p.read_text(errors="replace") for p in staging.iterdir()}
    assert recover(in_dir) == "dropped" and not staging.exists()


def test_a_commit_interrupted_during_the_moves_is_finished(tmp_path):
    dest = tmp_path / "IN"
    dest.mkdir()
    (dest / "old.dta").write_text("old")
    with Staging(dest) as st:
        for name in ("a.dta", "b.dta"):
            (st.path / name).write_text(name)
        st.commit(["a.dta", "b.dta"], ["old.dta"])
    assert sorted(p.name for p in dest.iterdir()) == ["a.dta", "b.dta"]
    # now as if killed after the journal and the first move
    staging = tmp_path / ".IN.staging"
    staging.mkdir()
    (staging / "c.dta").write_text("c")
    (dest / "d.dta").write_text("d, moved before the crash")
    (staging / ".journal.json").write_text(json.dumps({"files": ["c.dta", "d.dta"], "remove": ["a.dta"]}))
    assert recover(dest) == "finished"
    assert sorted(p.name for p in dest.iterdir()) == ["b.dta", "c.dta", "d.dta"] and not staging.exists()


# --- bad input -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("change, needle", [
    (lambda s: s["registers"]["individuals"]["variables"].update({"i_salary": {}}),
     "register individuals, variable i_salary: unknown variable"),
    (lambda s: s["registers"].update({"pensions": {"variables": {"x": {}}}}), "register pensions: unknown register"),
    (lambda s: s["registers"]["individuals"]["variables"].update({"i_age": {"level": "decades"}}),
     "register individuals, variable i_age: unknown level 'decades'"),
    (lambda s: s["registers"]["individuals"]["variables"].update({"i_gender": {"level": "years"}}),
     "variable i_gender: has no levels"),
    (lambda s: s.update(period={"first": "2015-05", "last": "2015-01"}), "is before first month"),
    (lambda s: s.update(format="xlsx"), "format must be one of"),
    (lambda s: s["population"]["where"][0].update({"in": ["ZZ"]}), "value(s) ZZ are not in its code list"),
])
def test_a_bad_specification_is_refused_with_the_reason(change, needle):
    spec = json.loads(json.dumps(SPEC))
    change(spec)
    with pytest.raises(SpecError) as exc:
        validate(spec)
    assert needle in str(exc.value)


def test_a_level_finer_than_granted_is_refused():
    granted = validate(SPEC)
    finer = json.loads(json.dumps(SPEC))
    finer["registers"]["individuals"]["variables"]["i_age"] = {"level": "years"}
    with pytest.raises(SpecError, match="register individuals, variable i_age: level years is finer than the "
                                        "granted five_year_bands"):
        check_within(validate(finer), granted)
    coarser = json.loads(json.dumps(SPEC))
    coarser["registers"]["jobs"]["variables"]["j_job_start_date"] = {"level": "month"}
    check_within(validate(coarser), granted)  # coarser is fine
    everyone = json.loads(json.dumps(SPEC))
    del everyone["population"]
    with pytest.raises(SpecError, match="must keep the granted conditions"):
        check_within(validate(everyone), granted)


def test_missing_warehouse_months_are_named(wh, tmp_path):
    later = {**SPEC, "period": {"first": "2015-03", "last": "2015-06"}}
    with pytest.raises(run.ExtractionError, match=r"individuals 2015-05, 2015-06 \(2 months\)"):
        deliver(wh, "alpha", later, tmp_path / "IN")
    assert not (tmp_path / "IN").exists()


def _individuals_csv(path: Path, rows: list[dict]) -> Path:
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_import_checks_every_file_and_loads_nothing_on_a_problem(tmp_path):
    wh = Warehouse(tmp_path / "warehouse")
    good = _individuals_csv(tmp_path / "good.csv", [
        {"reference_period": 201801, "individual_IDnumber": 11, "i_gender": 1, "i_age": 34, "i_residence_country": "LU"},
        {"reference_period": 201801, "individual_IDnumber": 12, "i_gender": 2, "i_age": 41, "i_residence_country": "FR"}])
    bad = _individuals_csv(tmp_path / "bad.csv", [
        {"reference_period": 201802, "individual_IDnumber": 11, "i_gender": 7, "i_age": "old", "i_residence": "LU"}])
    corrupt = tmp_path / "corrupt.dta"
    df = pd.DataFrame({"reference_period": [201803], "individual_IDnumber": [13]})
    pyreadstat.write_dta(df, str(corrupt))
    corrupt.write_bytes(corrupt.read_bytes()[:40])
    with pytest.raises(importer.ImportProblems) as exc:
        importer.load("individuals", [good, bad, corrupt], wh)
    report = str(exc.value)
    assert "bad.csv: column 'i_residence' is not a variable of register individuals (did you mean " \
           "'i_residence_country'?)" in report
    assert "bad.csv: column i_gender: 1 value(s) outside the code list [1, 2] (e.g. '7')" in report
    assert "bad.csv: column i_age: 1 value(s) are not of type SMALLINT (e.g. 'old')" in report
    assert "corrupt.dta: cannot be read" in report
    assert wh.months("individuals") == []
    assert importer.load("individuals", [good], wh) == {201801: 2}
    stored = duckdb.sql(f"SELECT * FROM read_parquet('{wh.file('individuals', 201801)}', hive_partitioning = false)").df()
    assert list(stored.columns) == [v.name for v in get_register("individuals").variables]
    assert list(stored.i_residence_country) == ["LU", "FR"]


def test_synth_is_deterministic_and_consistent_across_registers(wh, tmp_path):
    again = Warehouse(tmp_path / "again")
    synth.generate(300, *MONTHS, seed=7, root=again.root)
    assert sorted(again.registers()) == sorted(r.name for r in dictionary.registers())
    for register in again.registers():
        assert again.file(register, 201503).read_bytes() == wh.file(register, 201503).read_bytes()
    f = {r: f"read_parquet('{wh.file(r, 201503)}', hive_partitioning = false)" for r in wh.registers()}
    orphans = {  # every id a register points to exists that month where it belongs
        "job's person": f"{f['jobs']} x ANTI JOIN {f['individuals']} i USING (individual_IDnumber)",
        "job's employer": f"{f['jobs']} x ANTI JOIN {f['employers']} e USING (employer_IDnumber)",
        "absence's job": f"{f['work_absences']} x ANTI JOIN {f['jobs']} j USING (job_IDnumber, individual_IDnumber)",
        "redeployment's job": f"{f['redeployments']} x ANTI JOIN {f['jobs']} j USING (job_IDnumber, employer_IDnumber)",
        "related person": f"{f['family_links']} x ANTI JOIN {f['individuals']} i "
                          "ON x.related_individual_IDnumber = i.individual_IDnumber",
        "benefit's person": f"{f['social_benefits']} x ANTI JOIN {f['individuals']} i USING (individual_IDnumber)",
    }
    for what, sql in orphans.items():
        assert duckdb.sql(f"SELECT count(*) FROM {sql}").fetchone()[0] == 0, what
    employees = duckdb.sql(f"SELECT sum(e_nb_employees) FROM {f['employers']}").fetchone()[0]
    assert employees == duckdb.sql(f"SELECT count(*) FROM {f['jobs']}").fetchone()[0]
    shares = duckdb.sql(f"SELECT i_residence_country, count(*) FROM {f['individuals']} GROUP BY 1").fetchall()
    assert {c for c, _ in shares} == {"LU", "FR", "BE", "DE"}


def test_every_level_of_the_dictionary_has_a_recode(wh):
    """Each register and level can be delivered: run every recode on a warehouse month."""
    for register in dictionary.registers():
        select = ", ".join(recode.output(v, lv.name if lv else None).sql + f' AS "c{i}_{j}"'
                           for i, v in enumerate(register.variables) for j, lv in enumerate(v.levels or [None]))
        duckdb.sql(f"SELECT {select} FROM read_parquet('{wh.file(register.name, 201502)}', "
                   "hive_partitioning = false) AS t").fetchall()
    nace = get_register("employers").variable("e_NACE_sector")
    assert sql_value(nace, "section", "47.11", "VARCHAR") == "G" and sql_value(nace, "division", "47.11", "VARCHAR") == "47"
    spending = get_register("benefits_in_kind").variable("h_health_care_expenditure")
    assert [spending.values[str(sql_value(spending, "bands", x, "DOUBLE"))] for x in (0, 99.5, 100, 5000)] == \
        ["None", "1-99 EUR", "100-499 EUR", "5000 EUR and more"]
    location = get_register("employers").variable("e_location")
    assert location.values[f"{sql_value(location, 'canton', 'LU:Esch-sur-Alzette:Differdange', 'VARCHAR'):02d}"] \
        == "Esch-sur-Alzette"


# --- through the CLI and the registry --------------------------------------------------------------------------------

def test_cli_set_spec_and_extract_refuse_bad_input(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MDP_")}
    env["MDP_STATE_DIR"] = str(tmp_path / "state")
    env["COLUMNS"] = "250"  # audit tail on one line per event

    def mdp(*args):
        return subprocess.run([MDP, *args], env=env, capture_output=True, text=True)

    assert mdp("warehouse", "synth", "--persons", "80", "--first", "2015-01", "--last", "2015-03").returncode == 0
    assert mdp("project", "create", "MIGAPE", "--title", "t", "--start", "2026-01-01", "--end", "2026-12-31").returncode == 0
    bad = json.loads(json.dumps(SPEC))
    bad["registers"]["jobs"]["variables"]["j_salary"] = {}
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    proc = mdp("project", "set-spec", "migape", str(tmp_path / "bad.json"))
    assert proc.returncode == 2 and "register jobs, variable j_salary: unknown variable" in proc.stdout
    proc = mdp("extract", "migape")
    assert proc.returncode == 2 and "has no access specification" in proc.stdout
    (tmp_path / "spec.json").write_text(json.dumps(SPEC))
    assert mdp("project", "set-spec", "migape", str(tmp_path / "spec.json")).returncode == 0
    finer = json.loads(json.dumps(SPEC))
    finer["registers"]["individuals"]["variables"]["i_citizenship"] = {"level": "country"}
    (tmp_path / "finer.json").write_text(json.dumps(finer))
    proc = mdp("extract", "migape", "--spec", str(tmp_path / "finer.json"))
    assert proc.returncode == 2 and "level country is finer than the granted grouped" in proc.stdout
    in_dir = tmp_path / "state" / "projects" / "migape" / "IN"
    assert list(in_dir.iterdir()) == []
    proc = mdp("extract", "migape", "--jobs", "1")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (in_dir / "individuals_201502.dta").exists() and "extraction_delivered" in mdp("audit", "tail").stdout


@pytest.mark.django_db
def test_an_admin_runs_the_extraction_from_the_portal(wh, tmp_path, monkeypatch, client):
    from django.contrib.auth.models import User

    from mdp import settings
    from mdp.audit.models import AuditEvent
    from mdp.registry import business_logic as registry
    from mdp.registry.models import Project

    monkeypatch.setenv("MDP_WAREHOUSE_DIR", str(wh.root))
    monkeypatch.setenv("MDP_DATA_ROOT", str(tmp_path / "data"))
    settings.get.cache_clear()
    try:
        client.force_login(User.objects.create(username="root", is_staff=True, is_superuser=True))
        done = registry.create_project("t", acronym="DONE", title="t", start=date(2026, 1, 1), end=date(2026, 12, 31))
        Project.objects.filter(pk=done.pk).update(access_spec=SPEC)
        bare = registry.create_project("t", acronym="BARE", title="t", start=date(2026, 1, 1), end=date(2026, 12, 31))
        page = client.post("/services/portal/admin/registry/project/", {
            "action": "extract", "_selected_action": [done.pk, bare.pk]}, follow=True).content.decode()
        assert "DONE: " in page and "files" in page and "BARE: project BARE has no access specification" in page
        assert (tmp_path / "data" / "done" / "IN" / "manifest.json").exists()
        assert not any((tmp_path / "data" / "bare" / "IN").iterdir())
        assert AuditEvent.objects.filter(action="extraction_delivered", actor="root", project="done").exists()
    finally:
        settings.get.cache_clear()
