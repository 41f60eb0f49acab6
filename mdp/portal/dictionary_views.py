"""The data dictionary in the portal: public, searchable, exportable as CSV and DDI Codebook 2.5.

Anyone may read it before applying: it is what lets a researcher see the
content and potential of the data, and which variables are protected by default.
"""

from __future__ import annotations

import csv

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from mdp import dictionary

DDI_TITLE = "Luxembourg Microdata Platform on Labour and Social Protection"
PROTECTION_LABELS = {
    "open": _("Open: provided as described"),
    "aggregated": _("Aggregated by default: finer levels on a justified request"),
    "restricted": _("Not provided by default: needs a justified request"),
}


def _register(name: str):
    register = next((r for r in dictionary.registers() if r.name == name), None)
    if register is None:
        raise Http404(f"No register {name!r} in the data dictionary.")
    return register


def index(request):
    query = request.GET.get("q", "").strip().lower()
    hits = []
    if query:
        hits = [(r, v) for r in dictionary.registers() for v in r.variables
                if query in v.name.lower() or any(query in t.lower() for t in v.description.values())]
    return render(request, "portal/dictionary_index.html",
                  {"registers": dictionary.registers(), "query": query, "hits": hits})


def register_page(request, register):
    return render(request, "portal/dictionary_register.html",
                  {"register": _register(register), "labels": PROTECTION_LABELS})


def variable_page(request, register, variable):
    reg = _register(register)
    var = reg.variable(variable)
    if var is None:
        raise Http404(f"No variable {variable!r} in register {register!r}.")
    return render(request, "portal/dictionary_variable.html",
                  {"register": reg, "variable": var, "label": PROTECTION_LABELS[var.protection]})


def export_csv(request):
    """One row per variable; value labels and comments in English (descriptions in both languages)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="data-dictionary.csv"'
    writer = csv.writer(response)
    writer.writerow(["register", "variable", "description_en", "description_fr", "format", "protection",
                     "default_level", "finer_levels", "values", "source", "comments"])
    for r in dictionary.registers():
        for v in r.variables:
            default = next((lv.name for lv in v.levels if lv.default), "")
            writer.writerow([r.name, v.name, v.description.get("en", ""), v.description.get("fr", ""), v.format,
                             v.protection, default, " ".join(lv.name for lv in v.levels if not lv.default),
                             "; ".join(f"{k}={label}" for k, label in v.values.items()), v.source,
                             v.comments.get("en", "")])
    return response


def export_ddi(request):
    """DDI Codebook 2.5 XML of the whole dictionary, or of the registers named by ?register=…"""
    names = request.GET.getlist("register")
    regs = [_register(name) for name in names] if names else dictionary.registers()
    xml = dictionary.ddi_codebook(regs, title=DDI_TITLE)
    response = HttpResponse(xml, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="data-dictionary.xml"'
    return response
