"""The codebook of a delivery: exactly what is in IN, for the researcher (HTML) and for tools (DDI).

Written from the delivered columns themselves (name in the file, label, granted
level, kind, value labels) and the files' row counts, so it cannot drift from the
data. No dates or times in it: the same specification gives identical files.
"""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from pathlib import Path

from mdp.warehouse.store import show_month

KIND_TEXT = {"id": "pseudonymised id (whole number, this project only)", "code": "code (value labels)",
             "int": "whole number", "number": "number", "string": "text", "date": "date"}



def write_html(path: Path, slug: str, title: str, spec, parts, outputs: dict) -> None:
    e = html.escape
    rows_by_register: dict[str, int] = {}
    for part, res in parts:
        rows_by_register[part.register] = rows_by_register.get(part.register, 0) + res.rows
    out = [f"<!doctype html><html lang='en'><meta charset='utf-8'><title>Codebook {e(title or slug)}</title>",
           "<style>body{font-family:sans-serif;max-width:70em;margin:2em auto}table{border-collapse:collapse}"
           "td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}</style>",
           f"<h1>Codebook of the data delivered to {e(title or slug)}</h1>",
           f"<p>Period {show_month(spec.first)} to {show_month(spec.last)}, format {e(spec.format)}. "
           "Identifiers are pseudonymised for this project only: the same person has the same number in every "
           "file of the project, and no other project can link them.</p>"]
    if spec.where or spec.description:
        out.append(f"<h2>Population</h2><p>{e(spec.description)}</p><ul>")
        for c in spec.where:
            out.append(f"<li>{e(c.register)}.{e(c.variable.name)}"
                       f"{' at level ' + e(c.level) if c.level else ''} in {e(', '.join(c.values))}</li>")
        out.append("</ul>")
    for reg in spec.registers:
        out.append(f"<h2>{e(reg.name)}</h2><p>{rows_by_register.get(reg.name, 0):,} rows; delivery "
                   f"{e(reg.delivery)}.</p><table><tr><th>variable</th><th>in the dictionary</th><th>label</th>"
                   "<th>level</th><th>kind</th><th>values</th></tr>")
        for o in outputs[reg.name]:
            values = "<br>".join(f"{code} = {e(text)}" for code, text in o.value_labels)
            out.append(f"<tr><td>{e(o.file_name)}</td><td>{e(o.name)}</td><td>{e(o.label)}</td>"
                       f"<td>{e(o.level or '')}</td><td>{e(KIND_TEXT[o.kind])}</td><td>{values}</td></tr>")
        out.append("</table>")
    out.append("<h2>Files</h2><table><tr><th>file</th><th>rows</th><th>SHA-256</th></tr>")
    for _, res in parts:
        out.append(f"<tr><td>{e(res.file)}</td><td>{res.rows:,}</td><td><code>{res.sha256}</code></td></tr>")
    out.append("</table></html>\n")
    path.write_text("\n".join(out))


def write_ddi(path: Path, slug: str, title: str, spec, parts, outputs: dict) -> None:
    """A DDI-Codebook 2.5 description: one fileDscr per file, one var per delivered column."""
    ns = "ddi:codebook:2_5"
    root = ET.Element("codeBook", {"xmlns": ns, "version": "2.5"})
    citation = ET.SubElement(ET.SubElement(root, "stdyDscr"), "citation")
    ET.SubElement(ET.SubElement(citation, "titlStmt"), "titl").text = f"Data delivered to {title or slug}"
    for i, (part, res) in enumerate(parts, 1):
        fd = ET.SubElement(root, "fileDscr", {"ID": f"F{i}"})
        txt = ET.SubElement(fd, "fileTxt")
        ET.SubElement(txt, "fileName").text = res.file
        dim = ET.SubElement(txt, "dimensns")
        ET.SubElement(dim, "caseQnty").text = str(res.rows)
        ET.SubElement(dim, "varQnty").text = str(len(res.variables))
    data = ET.SubElement(root, "dataDscr")
    for reg in spec.registers:
        files = " ".join(f"F{i}" for i, (p, _) in enumerate(parts, 1) if p.register == reg.name)
        for o in outputs[reg.name]:
            var = ET.SubElement(data, "var", {"name": o.file_name, "files": files})
            ET.SubElement(var, "labl").text = o.label
            if o.level:
                ET.SubElement(var, "txt").text = f"level: {o.level}"
            for code, text in o.value_labels:
                cat = ET.SubElement(var, "catgry")
                ET.SubElement(cat, "catValu").text = str(code)
                ET.SubElement(cat, "labl").text = text
    ET.indent(root)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def write(folder: Path, slug: str, title: str, spec, parts, outputs: dict) -> list[str]:
    """Write both codebooks into `folder`; returns their file names."""
    write_html(folder / "codebook.html", slug, title, spec, parts, outputs)
    write_ddi(folder / "codebook.xml", slug, title, spec, parts, outputs)
    return ["codebook.html", "codebook.xml"]
