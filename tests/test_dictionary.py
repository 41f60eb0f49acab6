"""The data dictionary: declarative files checked at load, browsable and exportable in the portal."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest
from django.test import Client
from lxml import etree

from mdp import dictionary

SHIPPED = Path(__file__).resolve().parents[1] / "policies" / "dictionary"
THEMATIC_REGISTERS = ["individuals", "affiliations", "jobs", "employers", "social_benefits", "work_absences",
                      "redeployments", "family_links", "benefits_in_kind"]


def test_every_thematic_register_of_the_seeds_loads_in_the_seeds_order():
    regs = {r.name: r for r in dictionary.load(SHIPPED)}
    assert list(regs) == THEMATIC_REGISTERS
    for reg in regs.values():
        assert reg.title.get("fr"), f"{reg.name} has no French title"
        assert reg.variable("reference_period") is not None, f"{reg.name} has no reference_period"
        for v in reg.variables:
            assert v.description.get("fr"), f"{reg.name}.{v.name} has no French description"
            assert v.source, f"{reg.name}.{v.name} has no source"


def test_every_value_label_level_description_and_comment_of_the_shipped_dictionary_has_french():
    for reg in dictionary.load(SHIPPED):
        for v in reg.variables:
            where = f"{reg.name}.{v.name}"
            assert list(v.values_fr) == list(v.values), f"{where}: values_fr does not cover exactly its codes"
            assert all(label.get("fr") for label in v.labels.values()), where
            assert not v.comments or v.comments.get("fr"), f"{where} has no French comments"
            for lv in v.levels:
                assert lv.description.get("en") and lv.description.get("fr"), f"{where} level {lv.name}"
    regs = {r.name: r for r in dictionary.load(SHIPPED)}
    assert regs["individuals"].variable("i_gender").values_fr == {"1": "Homme", "2": "Femme"}
    assert regs["employers"].variable("e_NACE_sector").values_fr["O"] == (
        "Administration publique et défense ; sécurité sociale obligatoire")


def test_every_id_variable_is_flagged_as_identifier():
    regs = dictionary.load(SHIPPED)
    for reg in regs:
        for v in reg.variables:
            assert v.identifier == v.name.endswith("_IDnumber"), f"{reg.name}.{v.name}"
    assert {"individual_IDnumber", "job_IDnumber", "employer_IDnumber", "temporary_jobs_employer_IDnumber",
            "related_individual_IDnumber", "household_IDnumber"} == dictionary.identifier_names(regs)


def test_seed_variables_of_the_new_registers():
    regs = {r.name: r for r in dictionary.load(SHIPPED)}
    assert regs["employers"].variable("e_NACE_sector").levels[0].name == "section"
    assert regs["social_benefits"].variable("i_F_revis").values["2"] == "Yes and the person is non-beneficiary"
    assert regs["redeployments"].variable("r_redeployment_type").protection == "restricted"
    assert regs["benefits_in_kind"].variable("h_F_hospital_stay").protection == "restricted"
    assert regs["family_links"].variable("f_link_type").values["1"] == "Spouse"


def test_subset_keeps_the_register_order_and_names_unknown_variables():
    jobs = next(r for r in dictionary.load(SHIPPED) if r.name == "jobs")
    assert [v.name for v in jobs.subset(["j_contract_type", "job_IDnumber"]).variables] == [
        "job_IDnumber", "j_contract_type"]
    with pytest.raises(dictionary.DictionaryError, match="register jobs has no variable\\(s\\) j_nope"):
        jobs.subset(["j_contract_type", "j_nope"])


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


def assert_refused(folder, text: str, message: str) -> None:
    """A register file holding `text` is refused with an error naming the file and saying `message`."""
    path = folder / "r.yaml"
    path.write_text(text)
    with pytest.raises(dictionary.DictionaryError) as err:
        dictionary.load(folder)
    assert str(path) in str(err.value) and message in str(err.value)


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
    (lambda t: t.replace("    format: character", "    format: character\n    identifier: yes please"),
     "variable v1: identifier must be true or false"),
    (lambda t: t.replace("    format: character", "    format: character\n    identifier: true"),
     "variable v1: an identifier is delivered pseudonymised, never aggregated or coded"),
    (lambda t: t.replace("register: r", "register: 'r r'"), "register name 'r r' must be"),
    (lambda t: t.replace("register: r", "register: r\nposition: first"), "position must be a whole number"),
    (lambda t: t.replace("register: r", "register: r\nowner: me"), "r.yaml: unknown key(s) owner"),
])
def test_bad_file_names_file_variable_and_problem(tmp_path, edit, message):
    assert_refused(tmp_path, edit(GOOD), message)


CODED = """register: r
title: {en: R}
source: CCSS
variables:
  - name: v1
    description: {en: one}
    format: character
    protection: aggregated
    values: {"1": Man, "2": Woman}
    values_fr: {"1": Homme, "2": Femme}
    comments: {en: A comment., fr: Un commentaire.}
    levels:
      - {name: coarse, default: true, description: {en: the two groups above, fr: les deux groupes ci-dessus}}
      - {name: fine, description: finer}
"""


def test_values_fr_level_descriptions_and_comments_in_both_languages(tmp_path):
    (tmp_path / "r.yaml").write_text(CODED)
    v1 = dictionary.load(tmp_path)[0].variable("v1")
    assert v1.values == {"1": "Man", "2": "Woman"} and v1.values_fr == {"1": "Homme", "2": "Femme"}
    assert v1.labels == {"1": {"en": "Man", "fr": "Homme"}, "2": {"en": "Woman", "fr": "Femme"}}
    assert v1.comments == {"en": "A comment.", "fr": "Un commentaire."}
    assert [lv.description for lv in v1.levels] == [{"en": "the two groups above", "fr": "les deux groupes ci-dessus"},
                                                     {"en": "finer"}]
    (tmp_path / "r.yaml").write_text(CODED.replace('    values_fr: {"1": Homme, "2": Femme}\n', "")
                                     .replace("comments: {en: A comment., fr: Un commentaire.}", "comments: A comment."))
    v1 = dictionary.load(tmp_path)[0].variable("v1")
    assert v1.values_fr == {} and v1.labels["1"] == {"en": "Man"} and v1.comments == {"en": "A comment."}


@pytest.mark.parametrize("values_fr, message", [
    ('{"1": Homme}', "variable v1: values_fr must label exactly the codes of values: missing code(s) 2"),
    ('{"1": Homme, "2": Femme, "3": Autre}', "variable v1: values_fr must label exactly the codes of values: "
                                             "code(s) 3 not in values"),
    ('{"1": Homme, "02": Femme}', "values_fr must label exactly the codes of values: missing code(s) 2; "
                                  "code(s) 02 not in values"),
    ('{"1": Homme, "2": ""}', "variable v1: values_fr must map each code to its French label"),
    ("[Homme, Femme]", "variable v1: values_fr must map each code to its French label"),
])
def test_values_fr_must_have_exactly_the_codes_of_values(tmp_path, values_fr, message):
    assert_refused(tmp_path, CODED.replace('values_fr: {"1": Homme, "2": Femme}', f"values_fr: {values_fr}"), message)


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.replace("comments: {en: A comment., fr: Un commentaire.}", "comments: {fr: Un commentaire.}"),
     "variable v1 comments: must be a text or a mapping of languages to texts with at least 'en'"),
    (lambda t: t.replace("description: finer", "description: {fr: plus fin}"),
     "variable v1 level fine description: must be a text or a mapping"),
])
def test_level_descriptions_and_comments_need_english(tmp_path, edit, message):
    assert_refused(tmp_path, edit(CODED), message)


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
def test_variable_page_shows_value_labels_levels_and_comments_in_the_readers_language(client):
    url = "/services/portal/dictionary/individuals/i_citizenship/"
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<code>1</code> Germany" in english and "Other EU-27" in english and "Allemagne" not in english
    assert "grouped (default): the seven groups above" in english and "the one the administration lists first" in english
    french = client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "<code>1</code> Allemagne" in french and "Autres pays de l&#x27;UE-27" in french
    assert "Germany" not in french and "Other EU-27" not in french
    assert "grouped (par défaut): les sept groupes ci-dessus" in french and "country: pays de nationalité" in french
    assert "l&#x27;administration indique en premier" in french and "lists first" not in french
    client.post("/services/portal/language", {"language": "fr", "next": url})  # the chooser's cookie too
    gender = client.get("/services/portal/dictionary/individuals/i_gender/").content.decode()
    assert "<code>1</code> Homme" in gender and "<code>2</code> Femme" in gender and "Woman" not in gender


@pytest.mark.django_db
def test_csv_export_has_every_variable(client):
    resp = client.get("/services/portal/dictionary.csv")
    rows = list(csv.DictReader(io.StringIO(resp.content.decode())))
    assert len(rows) == sum(len(r.variables) for r in dictionary.load(SHIPPED))
    age = next(r for r in rows if r["variable"] == "i_age")
    assert age["protection"] == "aggregated" and age["default_level"] == "five_year_bands"
    assert age["finer_levels"] == "years" and "9=60 years and more" in age["values"]


# DDI Codebook 2.5. No package in the registries this project can reach (PyPI, npm, Debian) ships the
# official codebook.xsd, so the test checks the structure of what we emit against the content models of
# that schema: for each element we write, its allowed children in the schema's sequence order (elements
# we never write are left out; the relative order of those we write is the schema's), whether it is
# required, and the enumerated attribute values we use. Set MDP_DDI25_XSD to the path of an official
# codebook.xsd (with its imports beside it) to validate against the schema itself as well.
DDI_SEQUENCES = {
    "codeBook": ["docDscr", "stdyDscr", "fileDscr", "dataDscr"],
    "docDscr": ["citation"],
    "stdyDscr": ["citation", "dataAccs"],
    "citation": ["titlStmt", "prodStmt"],
    "titlStmt": ["titl"],
    "prodStmt": ["producer", "prodDate"],
    "dataAccs": ["useStmt"],
    "useStmt": ["restrctn"],
    "fileDscr": ["fileTxt", "notes"],
    "fileTxt": ["fileName", "fileCont"],
    "dataDscr": ["var"],
    "var": ["labl", "txt", "catgry", "varFormat", "notes"],
    "catgry": ["catValu", "labl"],
}
DDI_REQUIRED = {"codeBook": ["stdyDscr"], "stdyDscr": ["citation"], "citation": ["titlStmt"], "titlStmt": ["titl"]}
DDI_AT_MOST_ONCE = {"fileTxt": ["fileName", "fileCont"], "var": ["varFormat"], "catgry": ["catValu"],
                    "citation": ["titlStmt", "prodStmt"], "titlStmt": ["titl"]}
DDI_TEXT_ONLY = {"titl", "producer", "prodDate", "restrctn", "fileName", "fileCont", "notes", "labl", "txt",
                 "catValu", "varFormat"}
DDI_ENUMS = {("varFormat", "type"): {"character", "numeric"},
             ("varFormat", "category"): {"date", "time", "currency", "other"},
             ("var", "intrvl"): {"contin", "discrete"},
             ("var", "representationType"): {"text", "numeric", "code", "datetime", "other"},
             ("codeBook", "version"): {"2.5"}}
DDI = "{ddi:codebook:2_5}"


def ddi_structure_problems(root) -> list[str]:
    """Where this document breaks the DDI 2.5 content models above (empty when it follows them)."""
    problems = []
    if root.tag != DDI + "codeBook":
        return [f"root is {root.tag}, not codeBook in the DDI 2.5 namespace"]
    ids = [e.get("ID") for e in root.iter() if e.get("ID")]
    problems += [f"ID {i} used twice" for i in set(ids) if ids.count(i) > 1]
    for element in root.iter(etree.Element):
        tag = etree.QName(element).localname
        if etree.QName(element).namespace != "ddi:codebook:2_5":
            problems.append(f"{element.tag} is not in the DDI 2.5 namespace")
            continue
        children = [etree.QName(c).localname for c in element]
        if tag in DDI_TEXT_ONLY:
            problems += [f"{tag} has a child {c}" for c in children]
        else:
            order = DDI_SEQUENCES.get(tag)
            if order is None:
                problems.append(f"{tag} is not an element this export may write")
                continue
            positions = [order.index(c) if c in order else -1 for c in children]
            problems += [f"{tag} may not contain {c}" for c, p in zip(children, positions) if p < 0]
            if positions != sorted(positions):
                problems.append(f"children of {tag} out of the schema's order: {children}")
        problems += [f"{tag} lacks {r}" for r in DDI_REQUIRED.get(tag, []) if r not in children]
        problems += [f"{tag} has {c} more than once" for c in DDI_AT_MOST_ONCE.get(tag, []) if children.count(c) > 1]
        for (enum_tag, attribute), allowed in DDI_ENUMS.items():
            if tag == enum_tag and element.get(attribute) is not None and element.get(attribute) not in allowed:
                problems.append(f"{tag}/@{attribute}={element.get(attribute)!r} is not one of {sorted(allowed)}")
        if tag == "var" and not element.get("name"):
            problems.append("a var has no name")
        if tag == "var" and element.get("files") not in ids:
            problems.append(f"var {element.get('name')} refers to an unknown file {element.get('files')!r}")
    return problems


def test_ddi_structure_check_catches_misordered_and_foreign_elements():
    root = etree.fromstring(dictionary.ddi_codebook(dictionary.load(SHIPPED), title="T"))
    var = root.find(f".//{DDI}var")
    var.insert(0, var.find(f"{DDI}varFormat"))
    etree.SubElement(root.find(f"{DDI}fileDscr"), DDI + "colour")
    problems = ddi_structure_problems(root)
    assert any("children of var out of the schema's order" in p for p in problems)
    assert any("fileDscr may not contain colour" in p for p in problems)


def test_ddi_export_of_the_whole_dictionary_follows_the_schema():
    regs = dictionary.load(SHIPPED)
    root = etree.fromstring(dictionary.ddi_codebook(regs, title="Luxembourg Microdata Platform"))
    assert ddi_structure_problems(root) == []
    assert len(root.findall(f"{DDI}fileDscr")) == len(regs)
    assert len(root.findall(f"{DDI}dataDscr/{DDI}var")) == sum(len(r.variables) for r in regs)
    age = root.find(f"{DDI}dataDscr/{DDI}var[@name='i_age']")
    lang = "{http://www.w3.org/XML/1998/namespace}lang"
    assert {labl.get(lang): labl.text for labl in age.findall(f"{DDI}labl")} == {
        "en": "Age at the end of the month", "fr": "Âge à la fin du mois"}
    assert [c.findtext(f"{DDI}catValu") for c in age.findall(f"{DDI}catgry")] == [str(i) for i in range(10)]
    last = age.findall(f"{DDI}catgry")[-1]
    assert [(labl.get(lang), labl.text) for labl in last.findall(f"{DDI}labl")] == [
        ("en", "60 years and more"), ("fr", "60 ans et plus")]
    citizenship = root.find(f"{DDI}dataDscr/{DDI}var[@name='i_citizenship']")
    assert {txt.get(lang) for txt in citizenship.findall(f"{DDI}txt")} == {"en", "fr"}
    assert age.find(f"{DDI}varFormat").get("type") == "character"
    protection = age.find(f"{DDI}notes[@type='protection']")
    assert protection.get("subject") == "aggregated" and "five_year_bands" in protection.text
    person_id = root.find(f"{DDI}dataDscr/{DDI}var[@name='individual_IDnumber']")
    assert person_id.find(f"{DDI}notes[@type='identifier']") is not None


def test_ddi_export_of_a_delivery_describes_only_the_granted_variables():
    regs = {r.name: r for r in dictionary.load(SHIPPED)}
    delivery = [regs["individuals"].subset(["individual_IDnumber", "i_age"])]
    root = etree.fromstring(dictionary.ddi_codebook(delivery, title="MIGAPE extraction",
                                                    file_names={"individuals": "individuals_201509.dta"}))
    assert ddi_structure_problems(root) == []
    assert root.findtext(f"{DDI}fileDscr/{DDI}fileTxt/{DDI}fileName") == "individuals_201509.dta"
    assert [v.get("name") for v in root.iter(f"{DDI}var")] == ["individual_IDnumber", "i_age"]


@pytest.mark.skipif(not os.environ.get("MDP_DDI25_XSD"), reason="set MDP_DDI25_XSD to an official codebook.xsd")
def test_ddi_export_validates_against_the_official_xsd():
    schema = etree.XMLSchema(etree.parse(os.environ["MDP_DDI25_XSD"]))
    document = etree.fromstring(dictionary.ddi_codebook(dictionary.load(SHIPPED), title="T"))
    assert schema.validate(document), str(schema.error_log)


@pytest.mark.django_db
def test_portal_serves_the_ddi_export(client):
    resp = client.get("/services/portal/dictionary.xml")
    assert resp.status_code == 200 and resp["Content-Type"].startswith("application/xml")
    root = etree.fromstring(resp.content)
    assert ddi_structure_problems(root) == []
    assert len(root.findall(f"{DDI}fileDscr")) == len(THEMATIC_REGISTERS)
    one = etree.fromstring(client.get("/services/portal/dictionary.xml?register=employers").content)
    assert [f.get("ID") for f in one.findall(f"{DDI}fileDscr")] == ["F_employers"]
    assert client.get("/services/portal/dictionary.xml?register=nope").status_code == 404


CATALOGUE = Path(__file__).resolve().parents[1] / "mdp" / "portal" / "locale" / "fr" / "LC_MESSAGES" / "django.mo"


@pytest.mark.django_db
def test_language_chooser_switches_the_dictionary_to_french_and_back(client):
    assert CATALOGUE.exists(), "French catalogue not compiled: run scripts/setup-host.sh (django-admin compilemessages)"
    url = "/services/portal/dictionary/individuals/i_age/"
    english = client.get(url).content.decode()
    assert 'id="language"' in english and "Age at the end of the month" in english
    assert "Âge à la fin du mois" not in english
    switched = client.post("/services/portal/language", {"language": "fr", "next": url})
    assert switched.status_code == 302 and switched["Location"] == url
    french = client.get(url).content.decode()
    assert '<html lang="fr">' in french and "Âge à la fin du mois" in french and ">English</button>" in french
    assert "Agrégée par défaut" in french and "Dictionnaire des données" in french
    assert "Age at the end of the month" not in french
    index = client.get("/services/portal/dictionary/").content.decode()
    assert "Caractéristiques sociodémographiques des individus" in index
    absences = client.get("/services/portal/dictionary/work_absences/").content.decode()
    assert "Absences au travail" in absences and ">restreinte</td>" in absences
    client.post("/services/portal/language", {"language": "en", "next": url})
    assert "Age at the end of the month" in client.get(url).content.decode()


@pytest.mark.django_db
def test_browser_language_is_the_default_and_the_chooser_needs_a_csrf_token(client):
    url = "/services/portal/dictionary/"
    assert "Dictionnaire des données" in client.get(url, HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9").content.decode()
    projects = client.get("/services/portal/projects/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Projets sur la plateforme" in projects  # the applications' own catalogue
    forged = Client(enforce_csrf_checks=True).post("/services/portal/language", {"language": "fr", "next": url})
    assert forged.status_code == 403
