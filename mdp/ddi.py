"""The data dictionary as DDI Codebook 2.5 XML.

DDI Codebook is the metadata standard that data archives, research data centres
and statistical software read: exporting the dictionary in it lets a researcher
load the variable labels and codes into their own tools, and lets the extraction
ship a machine-readable description with each delivery.

The DDI 2.5 schema (codebook.xsd) declares the children of every element as a
strict sequence, so the order in which the functions below append children is
the schema's order; tests/test_dictionary.py checks it.

Takes any registers shaped like `mdp.dictionary.Register` (name, title, source,
variables) and does not import that module, which imports this one.
"""

from __future__ import annotations

from datetime import date

from lxml import etree

NS = "ddi:codebook:2_5"
SCHEMA_LOCATION = f"{NS} http://www.ddialliance.org/Specification/DDI-Codebook/2.5/XMLSchema/codebook.xsd"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
PRODUCER = "Inspection générale de la sécurité sociale (IGSS)"
ACCESS_CONDITIONS = (
    "Pseudonymised administrative microdata, for statistical and scientific purposes only: accessible to the "
    "members of an approved project in the platform's desks, for the granted variables, levels, period and "
    "population; results leave the platform only after output checking."
)


def _el(parent, tag: str, text: str | None = None, lang: str | None = None, **attrs) -> etree._Element:
    element = etree.SubElement(parent, f"{{{NS}}}{tag}", {k: v for k, v in attrs.items() if v is not None})
    if lang:
        element.set(XML_LANG, lang)
    if text is not None:
        element.text = text
    return element


def _citation(parent, title: str) -> None:
    citation = _el(parent, "citation")
    _el(_el(citation, "titlStmt"), "titl", title)
    _el(_el(citation, "prodStmt"), "producer", PRODUCER, abbr="IGSS")


def _file_id(register) -> str:
    return f"F_{register.name}"


def _file(parent, register, file_name: str) -> None:
    """One fileDscr per register: the file a project receives for it."""
    file_dscr = _el(parent, "fileDscr", ID=_file_id(register))
    text = _el(file_dscr, "fileTxt")
    _el(text, "fileName", file_name)
    _el(text, "fileCont", register.title["en"], lang="en")
    if register.title.get("fr"):
        _el(file_dscr, "notes", register.title["fr"], lang="fr", type="title")
    _el(file_dscr, "notes", register.source, type="source")


def _representation(variable) -> str:
    if variable.format == "date":
        return "datetime"
    if variable.values:
        return "code"
    return "numeric" if variable.format == "numeric" else "text"


def _protection_note(variable) -> str:
    if variable.protection == "open":
        return "Open: provided as described."
    if variable.protection == "restricted":
        return "Restricted: not provided by default; needs a justified request."

    def level(lv) -> str:
        return f"{lv.name} ({lv.description['en']})" if lv.description.get("en") else lv.name

    default = next(lv for lv in variable.levels if lv.default)
    finer = "; ".join(level(lv) for lv in variable.levels if not lv.default)
    return f"Aggregated: provided by default at level {level(default)}; finer levels on a justified request: {finer}."


def _var(parent, register, variable) -> None:
    """One var, children in the schema's order: labl, txt, catgry, varFormat, notes.

    Descriptions, comments and value labels come once per language they have, marked with xml:lang
    (the schema lets var repeat labl and txt, and catgry repeat labl); the protection note is English.
    """
    var = _el(parent, "var", ID=f"V_{register.name}.{variable.name}", name=variable.name,
              files=_file_id(register), representationType=_representation(variable),
              intrvl="discrete" if variable.values or variable.format == "character" else "contin")
    for lang, text in variable.description.items():
        _el(var, "labl", text, lang=lang)
    for lang, text in variable.comments.items():
        _el(var, "txt", text, lang=lang)
    for code, labels in variable.labels.items():
        category = _el(var, "catgry")
        _el(category, "catValu", code)
        for lang, label in labels.items():
            _el(category, "labl", label, lang=lang)
    if variable.format == "date":
        _el(var, "varFormat", type="numeric", category="date")
    else:
        _el(var, "varFormat", type=variable.format)
    _el(var, "notes", _protection_note(variable), type="protection", subject=variable.protection)
    if variable.identifier:
        _el(var, "notes", "Identifier: replaced per project by a pseudonym (a dense integer); the same entity has "
                          "the same pseudonym in all files of a project.", type="identifier")
    _el(var, "notes", variable.source, type="source")


def codebook(regs, title: str, file_names: dict | None = None) -> bytes:
    """A DDI Codebook 2.5 document (UTF-8 bytes) describing these registers.

    `file_names` maps a register's name to the name of the file delivered for it
    (default: the register's name).
    """
    regs = tuple(regs)
    file_names = file_names or {}
    root = etree.Element(f"{{{NS}}}codeBook", nsmap={None: NS, "xsi": XSI}, version="2.5")
    root.set(f"{{{XSI}}}schemaLocation", SCHEMA_LOCATION)
    root.set(XML_LANG, "en")

    doc = _el(root, "docDscr")
    doc_citation = _el(doc, "citation")
    _el(_el(doc_citation, "titlStmt"), "titl", f"{title}: data dictionary")
    prod = _el(doc_citation, "prodStmt")
    _el(prod, "producer", PRODUCER, abbr="IGSS")
    _el(prod, "prodDate", date.today().isoformat(), date=date.today().isoformat())

    study = _el(root, "stdyDscr")
    _citation(study, title)
    _el(_el(_el(study, "dataAccs"), "useStmt"), "restrctn", ACCESS_CONDITIONS)

    for register in regs:
        _file(root, register, file_names.get(register.name, register.name))
    data = _el(root, "dataDscr")
    for register in regs:
        for variable in register.variables:
            _var(data, register, variable)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
