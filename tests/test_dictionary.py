"""The data dictionary: declarative files checked at load, browsable and exportable in the portal."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from mdp import dictionary

SHIPPED = Path(__file__).resolve().parents[1] / "policies" / "dictionary"


def test_shipped_dictionary_has_the_seeds_protections():
    regs = {r.name: r for r in dictionary.load(SHIPPED)}
    age = regs["individuals"].variable("i_age")
    assert age.protection == "aggregated" and age.values["0"] == "less than 20 years" and len(age.values) == 10
    assert [lv.name for lv in age.levels if lv.default] == ["five_year_bands"]
    citizenship = regs["individuals"].variable("i_citizenship")
    assert citizenship.values == {"0": "Luxembourg", "1": "Germany", "2": "Belgium", "3": "France",
                                  "4": "Portugal", "5": "Other EU-27", "6": "Other"}
    assert regs["individuals"].variable("i_location_residence").protection == "aggregated"
    assert regs["individuals"].variable("i_F_min_income").source == "FNS"
    assert regs["work_absences"].variable("a_sickness_days").protection == "restricted"


GOOD = """register: r
title: {en: R}
source: CCSS
variables:
  - name: v1
    description: {en: one}
    format: character
    protection: aggregated
    levels: [{name: coarse, default: true}, {name: fine}]
"""


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.replace("protection: aggregated", "protection: secret"), "variable v1: protection must be one of"),
    (lambda t: t.replace("format: character", "format: blob"), "variable v1: format must be one of"),
    (lambda t: t.replace("[{name: coarse, default: true}, {name: fine}]", "[{name: coarse}, {name: fine}]"),
     "variable v1: an aggregated variable needs at least two levels, exactly one of them marked default"),
    (lambda t: t.replace("description: {en: one}", "description: {fr: un}"), "variable v1 description"),
    (lambda t: t.replace("    format: character", "    format: character\n    colour: red"), "unknown key(s) colour"),
    (lambda t: t + GOOD[GOOD.index("  - name"):], "variable v1 is listed twice"),
    (lambda t: t.replace("- name: v1", "- name: 'bad name'"), "has no valid name"),
    (lambda t: t + "  - [", "not valid YAML"),
])
def test_bad_file_names_file_variable_and_problem(tmp_path, edit, message):
    path = tmp_path / "r.yaml"
    path.write_text(edit(GOOD))
    with pytest.raises(dictionary.DictionaryError) as err:
        dictionary.load(tmp_path)
    assert str(path) in str(err.value) and message in str(err.value)


@pytest.mark.django_db
def test_portal_pages_are_public_and_searchable(client):
    index = client.get("/services/portal/dictionary/").content.decode()
    assert "Individual sociodemographic characteristics" in index and "Work absences" in index
    hits = client.get("/services/portal/dictionary/?q=citizenship").content.decode()
    assert "i_citizenship" in hits and "i_gender" not in hits
    page = client.get("/services/portal/dictionary/individuals/i_age/").content.decode()
    assert "Aggregated by default" in page and "60 years and more" in page and "five_year_bands (default)" in page
    assert client.get("/services/portal/dictionary/individuals/nope/").status_code == 404
    assert client.get("/services/portal/dictionary/nope/").status_code == 404


@pytest.mark.django_db
def test_csv_export_has_every_variable(client):
    resp = client.get("/services/portal/dictionary.csv")
    rows = list(csv.DictReader(io.StringIO(resp.content.decode())))
    assert len(rows) == sum(len(r.variables) for r in dictionary.load(SHIPPED))
    age = next(r for r in rows if r["variable"] == "i_age")
    assert age["protection"] == "aggregated" and age["default_level"] == "five_year_bands"
    assert age["finer_levels"] == "years" and "9=60 years and more" in age["values"]
