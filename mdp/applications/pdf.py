"""'Download your request': the whole application as a PDF (reportlab)."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from mdp.texts import in_language


def _p(text, style) -> Paragraph:
    """Applicants' text is data, never markup: escape it for reportlab's mini-language."""
    return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)


def render(application, summary: list[dict], lang: str | None = None) -> bytes:
    """The PDF in `lang` (default: the language of the page the applicant is using)."""
    styles = getSampleStyleSheet()
    body, small = styles["BodyText"], styles["Italic"]
    story = [_p(f"{_('Application')} {application.pk}: {application.acronym}", styles["Title"]),
             _p(f"{_('Status')}: {application.get_status_display()} — {timezone.now():%Y-%m-%d %H:%M} UTC", small),
             Spacer(1, 0.4 * cm)]
    story.append(_p(_("Members of the project"), styles["Heading2"]))
    rows = [[_("Name"), _("Institution"), _("Role"), _("E-mail"), _("Account"), _("In Luxembourg")]]
    rows += [[_p(m.get(k, ""), body) for k in ("name", "institution", "role", "email", "username")]
             + [_("yes") if m.get("luxembourg") else _("no")] for m in application.members]
    story.append(_table(rows, [3.2 * cm, 3.4 * cm, 2.4 * cm, 3.8 * cm, 2.2 * cm, 2 * cm]))
    for item in summary:
        section = item["section"]
        if section.kind == "members":
            continue
        story.append(_p(in_language(section.title, lang), styles["Heading2"]))
        if section.kind == "fields":
            for field, value in item["rows"]:
                story.append(_p(in_language(field.label, lang), styles["Heading5"]))
                story.append(_p(value or "—", body))
        elif section.kind == "variables":
            for register, name, requested in item["registers"]:
                title = in_language(register.title, lang) if register else name
                story.append(_p(title, styles["Heading4"]))
                rows = [[_("Variable"), _("Level"), _("Justification")]]
                rows += [[_p(v, body), _p(r.get("level") or "", body), _p(r.get("justification", ""), body)]
                         for v, r in requested.items()]
                story.append(_table(rows, [4.5 * cm, 3 * cm, 9.5 * cm]))
        elif section.kind == "documents":
            for d in item["documents"]:
                story.append(_p(f"{d.name} ({d.size} bytes, SHA-256 {d.sha256})", body))
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, title=f"Application {application.pk}", leftMargin=2 * cm,
                      rightMargin=2 * cm).build(story)
    return out.getvalue()


def _table(rows, widths) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.25, "#999999"), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("BACKGROUND", (0, 0), (-1, 0), "#e9edf2"), ("FONTSIZE", (0, 0), (-1, -1), 8)]))
    return table
